/**
 * Replication: prod's regional replicas converged to it, digest-exact, with regtopo's records and
 * the other referrers of each digest (distribution-spec pull/push, "listing repositories" and
 * "listing referrers"; OCI image-spec manifests are moved byte-exact by the copy engine).
 */
export { replicate, type ReplicateOptions } from './replicate.js';
export { formatReplicateReport, REPLICA_ACTIONS, type ReplicaAction, type ReplicaReport, type ReplicaTagReport, type ReplicateReport, type ReplicateSummary } from './report.js';
export { replicateAfterPromotion, type PromotionReplication } from './after-promotion.js';
export { replicaState, type ReplicaState } from './replica-state.js';
