/**
 * regtopo's public library API: everything a caller may import, listed explicitly. Anything not
 * exported here is internal and may change without notice.
 */

// Errors
export { RegtopoError, RegistryError, isRegtopoError, isRetryableStatus } from './errors.js';
export type { ErrorCode, SpecError } from './errors.js';
export { NetworkError } from './transport/network-error.js';

// References
export { Reference, normalise } from './ref/reference.js';
export { parseLocation, formatLocation } from './ref/location.js';
export type { Location } from './ref/location.js';
export { isDigest, assertDigest, digestOf } from './ref/digest.js';
export { canonicalHost, isDockerHub, isLoopbackHost, credentialKey, DOCKER_HUB, DOCKER_HUB_ENDPOINT } from './ref/registry-host.js';

// Credentials
export { staticCredentials, chainCredentials } from './auth/credential.js';
export type { Credential, CredentialProvider } from './auth/credential.js';
export { dockerConfigCredentials } from './auth/docker-config.js';
export type { DockerConfigOptions } from './auth/docker-config.js';
export { credentialHelper } from './auth/credential-helper.js';

// Transport building blocks (for callers composing their own client pipeline)
export { compose } from './transport/http-types.js';
export type { HttpRequest, HttpResponse, Send, Layer } from './transport/http-types.js';
export { retryLayer, DEFAULT_RETRY } from './transport/retry.js';
export type { RetryOptions } from './transport/retry.js';
export { redactUrl } from './transport/redact.js';

// Registry API and storage backends
export { RegistryClient } from './registry/registry-client.js';
export type { RegistryClientOptions, HostOptions } from './registry/registry-client.js';
export { RegistryRepository } from './registry/registry-repository.js';
export { OciLayoutStore } from './registry/oci-layout-store.js';
export type { ImageStore, OpenBlobOptions } from './registry/image-store.js';
export { MediaType, MANIFEST_ACCEPT } from './registry/media-types.js';
export { parseManifest } from './registry/descriptor.js';
export type { Descriptor, Platform, RawManifest, ParsedManifest, ImageManifest, IndexManifest } from './registry/descriptor.js';
export { listReferrers } from './registry/referrers.js';

// Operations
export { copy, DEFAULT_JOBS } from './ops/copy.js';
export type { CopyOptions, CopyResult } from './ops/copy.js';
export type { CopyEvent, CopyProgress } from './ops/copy-progress.js';
export { BlobLocationCache, defaultBlobLocationPath } from './ops/blob-locations/blob-location-cache.js';
export { BlobLedger } from './ops/blob-ledger.js';
export { mountCandidates } from './ops/mount-candidates.js';
export { tag } from './ops/tag.js';
export type { TagOptions, TagResult } from './ops/tag.js';
export { inspect } from './ops/inspect.js';
export type { InspectOptions, InspectResult } from './ops/inspect.js';
export { listTags } from './ops/list-tags.js';
export type { ListTagsOptions } from './ops/list-tags.js';

// Topology (registries.yaml)
export {
  loadTopology, parseTopology, locateTopologyFile, requireValidTopology, formatDiagnostic, topologyJsonSchema, TOPOLOGY_RULES,
  assertWriteAllowed, isWriteAllowed, writeGuard, registryByName, registryForAddress, resolveRegistryRef, concurrencyLimit, renderGraph, ROLES,
} from './topology/index.js';
export type {
  Topology, RegistrySpec, UpstreamSpec, Endpoint, CredentialSource, PromotionStageSpec, MirrorRuleSpec, Role,
  TopologyLoadResult, LoadTopologyOptions, Diagnostic, TopologyRule, WriteOperation, GraphFormat,
} from './topology/index.js';
export { clientForTopology } from './ops/topology-client.js';
export type { TopologyClientOptions } from './ops/topology-client.js';
export { checkTopology } from './ops/check.js';
export type { CheckOptions, CheckResult, RegistryCheck } from './ops/check.js';

export { mirror, DEFAULT_RESERVE, SOURCE_DIGEST_ANNOTATION, formatReport as formatMirrorReport, RateLimitTracker, parseQuota, selectTags, parseShard, shardOf, historyTag, isHistoryTag, acquireLock } from './ops/mirror/index.js';
export type { MirrorOptions, MirrorAction, MirrorOutcome, MirrorReport, MirrorTagReport, RateLimitState, Shard, HeldLock, LockOwner } from './ops/mirror/index.js';
export { runMirrorDemo } from './local/mirror-demo.js';
export type { MirrorDemoContext, MirrorDemoResult } from './local/mirror-demo.js';

// Local registries (demo and tests)
export { startLocalRegistry } from './local/local-registry.js';
export type { LocalRegistry, LocalRegistryOptions } from './local/local-registry.js';

// Promotion pipeline: statuses kept next to the image, gates, plans, approvals, history, inventory
export {
  setStatus, getStatuses, evaluateGates, planPromotion, hashPlan, approve, reject, listApprovals, parseImageDigest,
  runCommandHook, runWebhookHook, promote, history, inventory, RECORD_ARTIFACT_TYPE, listRecords,
} from './ops/promotion/index.js';
export type {
  PromotionContext, SetStatusOptions, SetStatusResult, StatusesResult, StatusEntry, GateResult, GateEvaluation, PromotionPlan, PlanTarget,
  PlanOptions, EdgeAction, ApprovalState, ApprovalBody, DecideOptions, DecisionResult, ApprovalsResult, ApprovalEntry, PendingApproval,
  HookDecision, PromoteOptions, PromoteReport, PromoteItem, HistoryEntry, InventoryEntry, RecordKind, StoredRecord, PromotionBody,
} from './ops/promotion/index.js';

// Replication to prod's replicas, backup into OCI layouts and restore (issue 11)
export { replicate, formatReplicateReport, replicateAfterPromotion, replicaState, REPLICA_ACTIONS } from './ops/replicate/index.js';
export type { ReplicateOptions, ReplicateReport, ReplicaReport, ReplicaTagReport, ReplicaAction, ReplicateSummary, PromotionReplication, ReplicaState } from './ops/replicate/index.js';
export { backup, restore, verifyLayout, REF_NAME_ANNOTATION } from './ops/backup/index.js';
export type { BackupOptions, BackupReport, BackupRegistryReport, BackupRefReport, BackupAction, RestoreOptions, RestoreReport, RestoreRefReport, RestoreAction, LayoutVerification } from './ops/backup/index.js';
export { listCatalog } from './registry/catalog.js';
export type { CatalogOptions } from './registry/catalog.js';
// Retention: prune sandbox and CI registries without deleting what a later stage or a record needs
export { prune, DEFAULT_PRUNE_JOBS, formatPruneReport, PRUNE_REASONS, DeletesRefusedError } from './ops/prune/index.js';
export type { PruneOptions, PruneReason, PruneReport, PruneRegistryReport, PruneRepositoryReport, PruneTagReport, PruneSummary, RetentionSpec } from './ops/prune/index.js';

// Keyless verification (issue 14)
export { verifySigstoreBundle, COSIGN_SIGN_PREDICATE } from './signing/keyless.js';
export type { KeylessPolicy, KeylessVerdict } from './signing/keyless.js';

// Signature gates (issue 14)
export { parseSimpleSigning, verifyCosignSignature, checkCosignSignature, cosignSignatureTag, COSIGN_SIMPLE_SIGNING_TYPE, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIGNATURE_ARTIFACT_TYPE } from './signing/cosign-signature.js';
export type { SimpleSigning, CosignCheck } from './signing/cosign-signature.js';
export { checkSignatureGates } from './ops/promotion/signature-gates.js';
export type { SignatureGateResult, SignatureGateEvaluation } from './ops/promotion/signature-gates.js';
export { findSignatureEvidence, SIGSTORE_BUNDLE_TYPE } from './ops/promotion/signature-evidence.js';
export type { SignatureEvidence, CosignSignatureManifest, SigstoreBundleArtifact } from './ops/promotion/signature-evidence.js';
export type { SignatureGateSpec, KeySignatureGate, KeylessSignatureGate } from './topology/signature-gate.js';
export { isSignatureGateResult } from './ops/promotion/gates.js';
export type { StatusGateResult } from './ops/promotion/gates.js';

// UX (issue 12): per-image progress of mirror, replicate, backup, restore and promote
export type { ImageProgress } from './ops/image-progress.js';

// Referrers (issue 14)
export {
  carryReferrers, discoverReferrers, mergeFallbackTag, referrerTree, referrerKind, kindLabel, isReferrerTag, registrySide, layoutSide, sideOf, subjectsOf,
  DEFAULT_REFERRER_LIMITS,
  type ReferrerCopyResult, type CarryOptions, type ReferrerNode, type ReferrerLimits, type ReferrerKind, type ReferrerSide, type ReferrerTreeEntry, type MergeResult,
} from './ops/referrers/index.js';
