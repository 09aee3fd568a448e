/**
 * Cancellation, as undici and Node streams do it: an AbortSignal travels with every request and
 * store operation, and whatever it stops surfaces as one RegtopoError with code E_INTERRUPTED, so
 * callers (and the CLI's exit code) need not tell an aborted socket from an aborted wait.
 */
import { setMaxListeners } from 'node:events';
import { RegtopoError } from '../errors.js';

export function interruptedError(cause?: unknown): RegtopoError {
  return new RegtopoError('E_INTERRUPTED', 'interrupted', { cause });
}

export function isInterrupted(err: unknown): boolean {
  return err instanceof RegtopoError && err.code === 'E_INTERRUPTED';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interruptedError(signal.reason);
}

/** What to throw for `err`: E_INTERRUPTED in its place when `signal` fired (a socket torn down by it, say). */
export function abortedOr(err: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted && !isInterrupted(err) ? interruptedError(err) : err;
}

/** A wait that ends early, with E_INTERRUPTED, when the signal fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interruptedError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(interruptedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A signal that follows `signal` and takes any number of listeners. Every in-flight request and
 * stream pipeline listens on the signal it was given; a copy with eight parallel transfers has more
 * than the ten listeners after which Node prints a leak warning, and the caller's own signal should
 * not be reconfigured behind its back.
 */
export function manyListenerSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  if (!signal) return undefined;
  const derived = AbortSignal.any([signal]);
  setMaxListeners(0, derived);
  return derived;
}
