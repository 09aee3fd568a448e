/**
 * Cancellation between steps: an aborted signal becomes E_INTERRUPTED (exit 130), the same code the
 * transport gives a request cut short by the signal, so callers branch on one code.
 */
import { RegtopoError } from '../../errors.js';

export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  const reason = signal.reason;
  if (reason instanceof RegtopoError && reason.code === 'E_INTERRUPTED') throw reason;
  throw new RegtopoError('E_INTERRUPTED', `interrupted${reason instanceof Error && reason.message ? `: ${reason.message}` : ''}`, { cause: reason });
}
