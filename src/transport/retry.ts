/**
 * Retries for transient failures: 408, 429 and 5xx answers and dropped connections, with exponential
 * backoff and full jitter, honouring Retry-After (seconds or HTTP date). Bounded in attempts and in
 * how long one wait may be: a server asking for longer than `maxRetryAfterMs` gets a clean failure
 * rather than a stalled run (cron jobs would rather stop than hammer or hang).
 */
import { isRetryableStatus, RegtopoError } from '../errors.js';
import { discard, type HttpResponse, type Layer } from './http-types.js';

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  /** Called before each wait, for verbose logs and rate-limit accounting. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

// 4 attempts span roughly 0.2+0.4+0.8 s of backoff: enough for a registry restart or a load blip,
// short enough that a CI step fails fast when the registry is really down.
export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 60_000 };

export function retryLayer(options: RetryOptions, sleep: (ms: number) => Promise<void> = defaultSleep): Layer {
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await next(req);
      } catch (err) {
        const retryable = (err as { retryable?: boolean }).retryable === true;
        if (!retryable || attempt >= options.attempts || req.idempotent === false) throw err;
        const delayMs = backoff(options, attempt);
        options.onRetry?.({ attempt, delayMs, reason: (err as Error).message });
        await sleep(delayMs);
        continue;
      }
      // A non-idempotent request (a streamed upload) is retried by its owner, who can re-open the source.
      if (!isRetryableStatus(res.status) || attempt >= options.attempts || req.idempotent === false) return res;
      const retryAfter = parseRetryAfter(res.headers['retry-after']);
      if (retryAfter !== undefined && retryAfter > options.maxRetryAfterMs) return res;
      const delayMs = retryAfter ?? backoff(options, attempt);
      await discard(res);
      options.onRetry?.({ attempt, delayMs, reason: `HTTP ${res.status}` });
      await sleep(delayMs);
    }
  };
}

export function backoff(options: RetryOptions, attempt: number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Retry-After as milliseconds from now, or undefined when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function assertRetryOptions(o: RetryOptions): RetryOptions {
  if (!Number.isInteger(o.attempts) || o.attempts < 1) throw new RegtopoError('E_USAGE', `retry attempts must be >= 1, got ${o.attempts}`);
  return o;
}
