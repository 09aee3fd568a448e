/**
 * The one retry loop (transport/retry.ts) on its own: one budget, Retry-After and its ceiling, the
 * layer leaving self-retrying requests alone, and waits that end with E_INTERRUPTED on abort.
 */
import { describe, expect, it } from 'vitest';
import { RegistryError, RegtopoError } from '../../src/errors.js';
import type { HttpRequest, HttpResponse } from '../../src/transport/http-types.js';
import { DEFAULT_RETRY, retryLayer, withRetry, type RetryOptions } from '../../src/transport/retry.js';

const fast: RetryOptions = { ...DEFAULT_RETRY, baseDelayMs: 1, maxDelayMs: 2 };
const transient = () => new RegistryError({ status: 503, method: 'PUT', url: 'http://r/x' });

function response(status: number, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, url: 'http://r/x', body: { dump: async () => undefined, destroy: () => undefined } as unknown as HttpResponse['body'] };
}

describe('withRetry', () => {
  it('spends exactly `attempts` tries on a persistent transient error, then throws the last one', async () => {
    let tries = 0;
    const err = await withRetry(fast, async () => {
      tries++;
      throw transient();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(tries).toBe(4);
  });

  it('does not retry errors that are not transient', async () => {
    let tries = 0;
    await withRetry(fast, async () => {
      tries++;
      throw new RegtopoError('E_DIGEST_MISMATCH', 'bad');
    }).catch(() => undefined);
    expect(tries).toBe(1);
  });

  it('waits what a decision asks for, and gives up on a Retry-After beyond the ceiling', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    await withRetry({ ...fast, attempts: 3 }, async () => { throw transient(); }, { sleep, retryError: () => ({ reason: 'now', delayMs: 0 }) }).catch(() => undefined);
    expect(waits).toEqual([0, 0]);
    let tries = 0;
    await withRetry({ ...fast, maxRetryAfterMs: 1_000 }, async () => { tries++; throw transient(); }, { sleep, retryError: () => ({ reason: 'later', retryAfter: '3600' }) }).catch(() => undefined);
    expect(tries).toBe(1);
  });

  it('an abort during a wait ends it with E_INTERRUPTED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const err = await withRetry({ ...DEFAULT_RETRY, baseDelayMs: 60_000, maxDelayMs: 60_000 }, async () => { throw transient(); }, { signal: controller.signal }).catch((e: unknown) => e);
    expect((err as RegtopoError).code).toBe('E_INTERRUPTED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('retryLayer', () => {
  it('retries a 503 exchange up to the budget, but sends a request whose sender retries it once', async () => {
    let sent = 0;
    const send = retryLayer(fast)(async () => {
      sent++;
      return response(503);
    });
    const req: HttpRequest = { method: 'PUT', url: 'http://r/x' };
    expect((await send(req)).status).toBe(503);
    expect(sent).toBe(4);
    sent = 0;
    expect((await send({ ...req, callerRetries: true })).status).toBe(503);
    expect(sent).toBe(1);
  });
});
