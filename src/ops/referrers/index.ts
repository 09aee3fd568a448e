/**
 * Referrers travel with the image they point at: OCI distribution-spec 1.1 "listing referrers"
 * (the referrers API, else the fallback tag `sha256-<hex>` holding an index of referrer
 * descriptors), image-spec `subject` (a referrer names the digest it is about), and cosign's tag
 * scheme (`sha256-<hex>.sig`, `.att`, `.sbom`). discover.ts reads a referrer tree, carry.ts copies
 * it digest-exact, fallback-merge.ts keeps a fallback tag's entries from every writer, kinds.ts
 * names what each referrer is.
 */
export { carryEach, carryReferrers, emptyReferrerResult, subjectsOf, type CarryOptions, type ReferrerCopyResult, type ReferrerTotals } from './carry.js';
export { DEFAULT_REFERRER_LIMITS, discoverReferrers, flatten, type DiscoverOptions, type ReferrerLimits, type ReferrerNode } from './discover.js';
export { mergeFallbackTag, type MergeOptions, type MergeResult } from './fallback-merge.js';
export { cosignTag, isReferrerTag, kindLabel, referrerKind, type ReferrerKind } from './kinds.js';
export { layoutSide, registrySide, sideOf, type ReferrerSide } from './side.js';
export { referrerTree, type ReferrerTreeEntry } from './tree.js';
