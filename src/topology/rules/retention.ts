/**
 * Retention is for registries that hold disposable images. Prod, its replicas and the archive hold
 * what runs and what builds rest on: `regtopo prune` never deletes there, so a policy on them is a
 * mistake worth stopping at `validate`.
 */
import type { RuleFinding, TopologyRule } from './rule.js';

const PRUNABLE_ROLES = new Set(['sandbox', 'ci']);

export const retentionRole: TopologyRule = {
  name: 'retention-role',
  severity: 'error',
  description: 'retention policies apply only to sandbox and ci registries',
  check({ file }) {
    const findings: RuleFinding[] = [];
    for (const [name, entry] of Object.entries(file.registries)) {
      if (entry.retention === undefined || PRUNABLE_ROLES.has(entry.role)) continue;
      findings.push({
        path: ['registries', name, 'retention'],
        at: 'key',
        message: `registry "${name}" (role ${entry.role}) cannot have a retention policy: only sandbox and ci registries are pruned`,
      });
    }
    return findings;
  },
};
