/**
 * regtopo's public library API: everything a caller may import, listed explicitly. Anything not
 * exported here is internal and may change without notice: the CLI, the demo (`demo/`) and the
 * tests import internals from their module paths, never through this file.
 *
 * Every verb has the shape `verb(inputs…, options)`; `options.client` is optional (default: a client
 * made for the call, from the topology when one is given, and closed when the verb ends) and
 * `options.signal` cancels it. The README's "Library" section lists these exports; a unit test keeps
 * the two equal (test/unit/public-api.test.ts).
 */

// Errors: RegtopoError carries a stable `code`; the others refine it.
export { RegtopoError, RegistryError, isRegtopoError } from './errors.js';
export type { ErrorCode, SpecError } from './errors.js';
export { NetworkError } from './transport/network-error.js';
export { DeletesRefusedError } from './ops/prune/delete.js';

// References
export { Reference } from './ref/reference.js';
export type { Location } from './ref/location.js';

// Credentials
export { staticCredentials, chainCredentials } from './auth/credential.js';
export type { Credential, CredentialProvider } from './auth/credential.js';
export { dockerConfigCredentials } from './auth/docker-config.js';
export type { DockerConfigOptions } from './auth/docker-config.js';
export { credentialHelper } from './auth/credential-helper.js';

// Transport layers (for callers composing their own client pipeline)
export { compose } from './transport/http-types.js';
export type { HttpRequest, HttpResponse, Send, Layer } from './transport/http-types.js';
export { retryLayer } from './transport/retry.js';
export type { RetryOptions } from './transport/retry.js';

// The registry client and image stores
export { RegistryClient } from './registry/registry-client.js';
export type { RegistryClientOptions, HostOptions } from './registry/registry-client.js';
export { RegistryRepository } from './registry/registry-repository.js';
export { OciLayoutStore } from './registry/oci-layout-store.js';
export type { ImageStore, OpenBlobOptions } from './registry/image-store.js';
export type { Descriptor, Platform } from './registry/descriptor.js';
export { clientForTopology } from './ops/topology-client.js';
export type { TopologyClientOptions } from './ops/topology-client.js';

// Image verbs
export { copy } from './ops/copy.js';
export type { CopyOptions, CopyResult } from './ops/copy.js';
export type { CopyEvent, CopyProgress } from './ops/copy-progress.js';
export { BlobLocationCache } from './ops/blob-locations/blob-location-cache.js';
export { BlobLedger } from './ops/blob-ledger.js';
export { tag } from './ops/tag.js';
export type { TagOptions, TagResult } from './ops/tag.js';
export { inspect } from './ops/inspect.js';
export type { InspectOptions, InspectResult } from './ops/inspect.js';
export { listTags } from './ops/list-tags.js';
export type { ListTagsOptions } from './ops/list-tags.js';

// The topology (registries.yaml)
export { loadTopology, parseTopology, locateTopologyFile, formatDiagnostic, topologyJsonSchema } from './topology/index.js';
export type {
  Topology, RegistrySpec, UpstreamSpec, Endpoint, CredentialSource, PromotedImageSpec, PromotionStageSpec, MirrorRuleSpec, Role,
  TopologyLoadResult, LoadTopologyOptions, TopologySource, Diagnostic, Severity,
} from './topology/index.js';
export { checkTopology } from './ops/check.js';
export type { CheckOptions, CheckResult, RegistryCheck } from './ops/check.js';

// Promotion: statuses kept next to the image, plans, approvals, promote, history, inventory
export { setStatus, getStatuses } from './ops/promotion/statuses.js';
export type { SetStatusOptions, GetStatusesOptions, SetStatusResult, StatusesResult, StatusEntry } from './ops/promotion/statuses.js';
export { promote, plan, approve, reject, listApprovals, history, inventory } from './ops/promotion/verbs.js';
export type { PromotionOptions, PromoteVerbOptions, PlanVerbOptions, DecisionOptions, ListApprovalsOptions, InventoryOptions } from './ops/promotion/verbs.js';
export type { PromoteReport, PromoteItem } from './ops/promotion/promote.js';
export type { PromotionPlan, PlanTarget, EdgeAction } from './ops/promotion/plan.js';
export type { GateResult } from './ops/promotion/gates.js';
export type { ApprovalState } from './ops/promotion/approval-state.js';
export type { DecisionResult, ApprovalsResult, ApprovalEntry, PendingApproval } from './ops/promotion/approvals.js';
export type { HookDecision } from './ops/promotion/hooks.js';
export type { HistoryEntry } from './ops/promotion/history.js';
export type { InventoryEntry } from './ops/promotion/inventory.js';

// Mirroring upstreams into the topology's mirrors
export { mirror } from './ops/mirror/run.js';
export type { MirrorOptions } from './ops/mirror/run.js';
export type { MirrorAction, MirrorOutcome, MirrorReport, MirrorTagReport } from './ops/mirror/report.js';
export { RateLimitTracker } from './ops/mirror/rate-limit.js';
export type { RateLimitState } from './ops/mirror/rate-limit.js';
export type { Shard } from './ops/mirror/shard.js';

// Replication to prod's replicas, backup into OCI layouts and restore
export { replicate } from './ops/replicate/replicate.js';
export type { ReplicateOptions } from './ops/replicate/replicate.js';
export type { ReplicateReport, ReplicaReport, ReplicaTagReport, ReplicaAction, ReplicateSummary } from './ops/replicate/report.js';
export type { PromotionReplication } from './ops/replicate/after-promotion.js';
export type { ReplicaState } from './ops/replicate/replica-state.js';
export { backup, restore } from './ops/backup/index.js';
export type { BackupOptions, BackupReport, BackupRegistryReport, BackupRefReport, BackupAction, RestoreOptions, RestoreReport, RestoreRefReport, RestoreAction, LayoutVerification } from './ops/backup/index.js';

// Retention: prune sandbox and CI registries without deleting what a later stage or a record needs
export { prune } from './ops/prune/prune.js';
export type { PruneOptions } from './ops/prune/prune.js';
export type { PruneReason, PruneReport, PruneRegistryReport, PruneRepositoryReport, PruneTagReport, PruneSummary } from './ops/prune/report.js';
export type { RetentionSpec } from './topology/model.js';

// ---------------------------------------------------------------------------------------------
// Export blocks added by later work go below this line, one commented block each (referrers,
// signature gates, keyless signing, UX types). Keep each block self-contained so they merge.
// ---------------------------------------------------------------------------------------------

// Signatures, SBOMs and attestations (issue 14): what travels (copy's `referrers`), what a signature
// gate found, and the checks it runs, for callers verifying on their own
export { referrerKind, isReferrerTag } from './ops/referrers/index.js';
export type { ReferrerKind, ReferrerCopyResult, ReferrerTreeEntry } from './ops/referrers/index.js';
export { checkCosignSignature } from './signing/cosign-signature.js';
export type { CosignCheck } from './signing/cosign-signature.js';
export { verifySigstoreBundle } from './signing/keyless.js';
export type { KeylessPolicy, KeylessVerdict } from './signing/keyless.js';
export { isSignatureGateResult } from './ops/promotion/gates.js';
export type { StatusGateResult } from './ops/promotion/gates.js';
export type { SignatureGateResult } from './ops/promotion/signature-gates.js';
export type { SignatureGateSpec, KeySignatureGate, KeylessSignatureGate } from './topology/signature-gate.js';

// Progress of the multi-image verbs (mirror, replicate, backup, restore, promote; issue 12)
export type { ImageProgress } from './ops/image-progress.js';
