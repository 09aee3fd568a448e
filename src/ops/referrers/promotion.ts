/**
 * The referrers of a promoted digest (and of its children) travel from the stage's source
 * repository to its target, like its records do (promotion/record-sync.ts). A re-run re-merges
 * what a concurrent promotion's fallback tag write may have dropped.
 */
import type { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { BlobLedger } from '../blob-ledger.js';
import { carryReferrers, subjectsOf, type ReferrerCopyResult } from './carry.js';
import { registrySide } from './side.js';

export async function carryPromotedReferrers(
  client: RegistryClient, source: Reference, target: Reference, digest: string,
  authorizeWrite?: (ref: Reference) => void, signal?: AbortSignal,
): Promise<ReferrerCopyResult> {
  const src = registrySide(source, client, signal);
  const dst = registrySide(target, client, signal);
  return carryReferrers(src, dst, await subjectsOf(dst, digest), {
    client, ledger: new BlobLedger(), signal, jobs: 2,
    ...(authorizeWrite && { authorizeWrite: (loc) => { if (loc.kind === 'registry') authorizeWrite(loc.ref); } }),
  });
}
