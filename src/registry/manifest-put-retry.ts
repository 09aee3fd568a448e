/**
 * Distribution can refuse a manifest as MANIFEST_BLOB_UNKNOWN while another client is committing one
 * of its blobs into the same repository, even after a HEAD has already seen that blob: concurrent
 * promotions, records sharing the empty config, and parallel mirror tags sharing base layers all
 * meet it, and so does a tag PUT of a manifest that is already stored (a retag) while another client
 * re-commits one of its blobs. Such a push succeeds once the other commit settles, so
 * RegistryRepository.putManifest treats it as one more transient failure of the manifest PUT, within
 * the same attempt budget as a 503, waiting at least a short, growing time for the commit to land.
 */
import { RegistryError } from '../errors.js';
import type { RetryDecision } from '../transport/retry.js';

export function manifestBlobRaceDecision(err: unknown, attempt: number): RetryDecision | undefined {
  if (!(err instanceof RegistryError) || !err.hasSpecCode('MANIFEST_BLOB_UNKNOWN')) return undefined;
  // A commit takes milliseconds; the floor keeps a fast-retry client (tests, impatient callers)
  // from spending its whole budget before the other writer is done.
  return { reason: 'MANIFEST_BLOB_UNKNOWN (a blob commit in progress)', minDelayMs: 100 * attempt + Math.random() * 100 };
}
