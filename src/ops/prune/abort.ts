/**
 * Cancellation between steps: an aborted signal becomes E_INTERRUPTED (exit 130), never a bare
 * DOMException. A delete in flight finishes; nothing after it starts; a rerun picks up where it stopped.
 */
import { RegtopoError } from '../../errors.js';

export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw new RegtopoError('E_INTERRUPTED', 'prune interrupted: nothing further was deleted; rerun to continue', { cause: signal.reason });
}
