/**
 * What a referrer is, for people reading `inspect`: told from its artifactType, its layers' media
 * types, and (for cosign's tag scheme) the tag suffix it was found under. Nothing here is trusted
 * for a decision: signature gates verify; this only names.
 */
import { RECORD_ARTIFACT_TYPE } from '../promotion/records.js';

export type ReferrerKind = 'signature' | 'sigstore-bundle' | 'attestation' | 'sbom' | 'regtopo-record' | 'artifact';

export const COSIGN_SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ARTIFACT = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
/** cosign's tag scheme: `sha256-<hex>.<suffix>` next to the image. */
export const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;
export type CosignSuffix = (typeof COSIGN_SUFFIXES)[number];

const RECORD_TYPES = new Set(Object.values(RECORD_ARTIFACT_TYPE));
const SUFFIX_KIND: Record<CosignSuffix, ReferrerKind> = { sig: 'signature', att: 'attestation', sbom: 'sbom' };

export interface KindHints {
  artifactType?: string;
  mediaType?: string;
  /** Media types of the referrer's layers (or blobs), when its manifest was read. */
  layerTypes?: readonly string[];
  cosignSuffix?: CosignSuffix;
}

export function referrerKind(h: KindHints): ReferrerKind {
  const types = [h.artifactType, ...(h.layerTypes ?? [])].filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase());
  if (h.artifactType && RECORD_TYPES.has(h.artifactType)) return 'regtopo-record';
  if (types.some((t) => t.startsWith('application/vnd.dev.sigstore.bundle'))) return 'sigstore-bundle';
  if (h.cosignSuffix) return SUFFIX_KIND[h.cosignSuffix];
  if (types.some((t) => t === COSIGN_SIMPLE_SIGNING || t === COSIGN_SIGNATURE_ARTIFACT)) return 'signature';
  if (types.some((t) => t === DSSE_ENVELOPE || t.includes('in-toto'))) return 'attestation';
  if (types.some((t) => t.includes('spdx') || t.includes('cyclonedx') || t.includes('.sbom'))) return 'sbom';
  return 'artifact';
}

const LABELS: Record<ReferrerKind, string> = {
  signature: 'signature',
  'sigstore-bundle': 'signature (sigstore bundle)',
  attestation: 'attestation',
  sbom: 'SBOM',
  'regtopo-record': 'regtopo record',
  artifact: 'artifact',
};

export function kindLabel(kind: ReferrerKind): string {
  return LABELS[kind];
}

/** `sha256-<hex>.sig` → `sig` for the digest's own cosign tags. */
export function cosignTag(digest: string, suffix: CosignSuffix): string {
  return `${digest.replace(':', '-')}.${suffix}`;
}

const REFERRER_TAG = /^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$/;

/** The fallback tag `sha256-<hex>` or a cosign tag `sha256-<hex>.sig|.att|.sbom`: bookkeeping, not a version. */
export function isReferrerTag(tag: string): boolean {
  return REFERRER_TAG.test(tag);
}
