/**
 * Topology: registries.yaml made explicit and checkable. Loading is a pipeline (YAML with positions
 * → zod schema → defaults → environment overlay → named rules) that reports every problem with
 * file:line:column and a rule name; write authority and the graph read the loaded config.
 * Read by cli and ops only.
 */
export {
  loadTopology,
  parseTopology,
  locateTopologyFile,
  requireValidTopology,
  DEFAULT_TOPOLOGY_FILE,
  type TopologySource,
  type LoadTopologyOptions,
  type TopologyLoadResult,
} from './load.js';
export { formatDiagnostic, type Diagnostic, type Severity, type NodePath } from './diagnostic.js';
export type {
  Topology,
  RegistrySpec,
  UpstreamSpec,
  Endpoint,
  CredentialSource,
  BackupTarget,
  PromotedImageSpec,
  PromotionStageSpec,
  MirrorRuleSpec,
} from './model.js';
export { ROLES, topologySchema, topologyJsonSchema, type Role, type TopologyFile, type RegistryFileEntry, type UpstreamFileEntry, type EnvironmentFileEntry } from './schema.js';
export type { CredentialsSpec } from './schema-fields.js';
export type { ApprovalSpec, PromotionGate } from './schema-promotion.js';
export type { MirrorRule } from './schema-mirrors.js';
export { TOPOLOGY_RULES, type TopologyRule, type RuleFinding, type RuleInput } from './rules/index.js';
export { assertWriteAllowed, isWriteAllowed, writeGuard, WRITE_AUTHORITY_RULE, type WriteOperation } from './write-authority.js';
export { registryByName, registryForAddress, resolveRegistryRef, concurrencyLimit, type RegistryAddress } from './registry-lookup.js';
export { renderGraph, buildTopologyGraph, GRAPH_FORMATS, type GraphFormat, type TopologyGraph } from './graph/index.js';
