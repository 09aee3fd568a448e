/**
 * The one retry mechanism: transient failures (408, 429 and 5xx answers, dropped connections) are
 * retried with exponential backoff and full jitter, honouring Retry-After (seconds or HTTP date).
 * Bounded in attempts and in how long one wait may be: a server asking for longer than
 * `maxRetryAfterMs` gets a clean failure rather than a stalled run (cron jobs would rather stop than
 * hammer or hang). Waits end at once, with E_INTERRUPTED, when the request's signal fires.
 *
 * Two users, one budget each: `retryLayer` retries single exchanges in the transport pipeline, and an
 * operation that must redo more than one exchange per try (a blob upload re-opens its source and a
 * session) calls `withRetry` itself and marks its requests `callerRetries`, so the layer underneath
 * leaves them alone and the budgets never multiply.
 */
import { isRetryableStatus, RegtopoError } from '../errors.js';
import { abortableSleep, abortedOr, throwIfAborted } from './abort.js';
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

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Why one try is worth another, and how long to wait first. */
export interface RetryDecision {
  reason: string;
  /** The server's Retry-After header, when it sent one. */
  retryAfter?: string;
  /** Wait exactly this long instead of backing off (0: the failure needs no time to pass). */
  delayMs?: number;
  /** Back off, but wait at least this long. */
  minDelayMs?: number;
}

export interface WithRetryOptions<T> {
  signal?: AbortSignal;
  /** A resolved value that is a transient failure (a 503 response); `release` frees it before the wait. */
  retryValue?: (value: T) => (RetryDecision & { release(): Promise<void> }) | undefined;
  /** Errors to retry beyond those marked `retryable` (which are retried with their Retry-After, if any). */
  retryError?: (err: unknown, attempt: number) => RetryDecision | undefined;
  sleep?: Sleep;
}

// An error an operation throws can carry the Retry-After of the response it was made from.
const retryAfterOf = new WeakMap<object, string>();

/** Remembers `res`'s Retry-After on `err`, for the retry loop that will see the error. */
export function withRetryAfter<E extends object>(err: E, res: HttpResponse): E {
  const value = res.headers['retry-after'];
  if (value) retryAfterOf.set(err, value);
  return err;
}

/** Runs `attempt` until it succeeds, fails for good, or `options.attempts` tries are spent. */
export async function withRetry<T>(options: RetryOptions, attempt: (n: number) => Promise<T>, how: WithRetryOptions<T> = {}): Promise<T> {
  const sleep = how.sleep ?? abortableSleep;
  for (let n = 1; ; n++) {
    throwIfAborted(how.signal);
    let value: T;
    try {
      value = await attempt(n);
    } catch (err) {
      if (how.signal?.aborted) throw abortedOr(err, how.signal);
      const decision = how.retryError?.(err, n) ?? defaultDecision(err);
      const delayMs = decision && n < options.attempts ? waitFor(options, n, decision) : undefined;
      if (delayMs === undefined) throw err;
      options.onRetry?.({ attempt: n, delayMs, reason: decision!.reason });
      await sleep(delayMs, how.signal);
      continue;
    }
    const decision = how.retryValue?.(value);
    const delayMs = decision && n < options.attempts ? waitFor(options, n, decision) : undefined;
    if (delayMs === undefined) return value;
    await decision!.release();
    options.onRetry?.({ attempt: n, delayMs, reason: decision!.reason });
    await sleep(delayMs, how.signal);
  }
}

/** The transport layer: retries one exchange, unless its sender retries it (or it may not be replayed). */
export function retryLayer(options: RetryOptions, sleep: Sleep = abortableSleep): Layer {
  return (next) => (req) => {
    if (req.idempotent === false || req.callerRetries) return next(req);
    return withRetry(options, () => next(req), { signal: req.signal, sleep, retryValue: retryableResponse });
  };
}

function retryableResponse(res: HttpResponse): (RetryDecision & { release(): Promise<void> }) | undefined {
  if (!isRetryableStatus(res.status)) return undefined;
  return { reason: `HTTP ${res.status}`, retryAfter: res.headers['retry-after'], release: () => discard(res) };
}

function defaultDecision(err: unknown): RetryDecision | undefined {
  if ((err as { retryable?: boolean } | undefined)?.retryable !== true) return undefined;
  return { reason: (err as Error).message, retryAfter: typeof err === 'object' && err ? retryAfterOf.get(err) : undefined };
}

/** The wait before the next try, or undefined when the server asks for longer than we will wait. */
function waitFor(options: RetryOptions, attempt: number, decision: RetryDecision): number | undefined {
  if (decision.delayMs !== undefined) return decision.delayMs;
  const retryAfter = parseRetryAfter(decision.retryAfter);
  if (retryAfter !== undefined) return retryAfter > options.maxRetryAfterMs ? undefined : retryAfter;
  return Math.max(backoff(options, attempt), decision.minDelayMs ?? 0);
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

export function assertRetryOptions(o: RetryOptions): RetryOptions {
  if (!Number.isInteger(o.attempts) || o.attempts < 1) throw new RegtopoError('E_USAGE', `retry attempts must be >= 1, got ${o.attempts}`);
  return o;
}
