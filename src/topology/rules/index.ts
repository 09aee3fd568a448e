/**
 * Cross-field rules of registries.yaml, run after the schema passed. Each is named: the name is
 * printed with every finding so people can look it up and tests can assert on it.
 */
import { httpForRemoteHost, duplicateUrlConflictingRoles } from './endpoints.js';
import { invalidKey, keyKindMismatch, unauthenticatedApproval, unknownKey } from './keys.js';
import { mirrorTargetNotArchive } from './mirrors.js';
import { promotionCycle, promotionFromSandbox, promotionIntoNonWritable } from './promotion.js';
import { unknownRegistryReference, unknownUpstream } from './references.js';
import { replicaLink, replicaOfNonProd, replicasOnlyOnProd } from './replicas.js';
import { retentionRole } from './retention.js';
import type { TopologyRule } from './rule.js';

export type { RuleFinding, RuleInput, TopologyRule } from './rule.js';
export { runRules } from './rule.js';

export const TOPOLOGY_RULES: readonly TopologyRule[] = Object.freeze([
  unknownRegistryReference,
  unknownUpstream,
  replicasOnlyOnProd,
  replicaOfNonProd,
  replicaLink,
  duplicateUrlConflictingRoles,
  promotionFromSandbox,
  promotionIntoNonWritable,
  promotionCycle,
  mirrorTargetNotArchive,
  httpForRemoteHost,
  retentionRole,
  invalidKey,
  unknownKey,
  unauthenticatedApproval,
  keyKindMismatch,
]);
