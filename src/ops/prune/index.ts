/**
 * Retention for sandbox and CI registries (`regtopo prune`): the topology's `retention:` policies,
 * joined with promotion (records, approvals, later stages) so that cleaning never deletes what a
 * later stage or a record needs. Deletes follow the distribution-spec ("deleting manifests": by
 * digest, which removes every tag on it); the catalog is the spec's `/v2/_catalog` listing.
 */
export { prune, DEFAULT_PRUNE_JOBS, type PruneOptions } from './prune.js';
export { formatPruneReport, PRUNE_REASONS, type PruneReason, type PruneReport, type PruneRegistryReport, type PruneRepositoryReport, type PruneTagReport, type PruneSummary } from './report.js';
export { decideRepository, type RepositoryFacts, type TagFacts, type Decision } from './decide.js';
export { laterRegistries } from './later-stages.js';
export { DeletesRefusedError } from './delete.js';
export type { RetentionSpec } from '../../topology/model.js';
