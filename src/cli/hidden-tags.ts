/**
 * Tags `regtopo tags` leaves out unless `--all`: bookkeeping other tools put next to an image,
 * not versions a release engineer picks. regtopo's record tags (see ops/promotion/records.ts), the
 * OCI distribution-spec referrers fallback tag (`sha256-<64 hex>`, "Referrers Tag Schema") and
 * cosign's signature, attestation and SBOM tags (`sha256-<hex>.sig|.att|.sbom`).
 */
import { isRecordTag } from '../ops/promotion/records.js';
import { isReferrerTag } from '../ops/referrers/kinds.js';

export function isHiddenTag(tag: string): boolean {
  return isRecordTag(tag) || isReferrerTag(tag);
}
