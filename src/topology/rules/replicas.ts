/**
 * Replica links: a replica is written only by replication from its prod, so the link must exist,
 * point at a prod, and agree when written on both sides.
 */
import type { RuleFinding, TopologyRule } from './rule.js';

export const replicasOnlyOnProd: TopologyRule = {
  name: 'replicas-only-on-prod',
  severity: 'error',
  description: 'only prod registries list replicas',
  check({ file }) {
    const findings: RuleFinding[] = [];
    for (const [name, entry] of Object.entries(file.registries)) {
      if (entry.replicas !== undefined && entry.role !== 'prod') {
        findings.push({ path: ['registries', name, 'replicas'], at: 'key', message: `"replicas" is only for prod registries; "${name}" has role ${entry.role}` });
      }
    }
    return findings;
  },
};

export const replicaOfNonProd: TopologyRule = {
  name: 'replica-of-non-prod',
  severity: 'error',
  description: 'a replica copies a prod registry, nothing else',
  check({ config, file }) {
    const findings: RuleFinding[] = [];
    for (const [name, entry] of Object.entries(file.registries)) {
      const source = entry.replicaOf !== undefined ? config.registries[entry.replicaOf] : undefined;
      if (entry.role === 'replica' && source && source.role !== 'prod') {
        findings.push({ path: ['registries', name, 'replicaOf'], message: `replica "${name}" copies "${source.name}", which has role ${source.role}; replicas copy a prod registry` });
      }
    }
    return findings;
  },
};

export const replicaLink: TopologyRule = {
  name: 'replica-link',
  severity: 'error',
  description: 'replicaOf and prod replicas lists agree, and every replica belongs to a prod',
  check({ config, file }) {
    const findings: RuleFinding[] = [];
    const listedBy = new Map<string, string>();
    for (const [prod, entry] of Object.entries(file.registries)) {
      if (entry.role !== 'prod') continue;
      (entry.replicas ?? []).forEach((name, i) => {
        const replica = config.registries[name];
        const path = ['registries', prod, 'replicas', i];
        if (!replica) return; // unknown-registry-reference reports it
        if (replica.role !== 'replica') findings.push({ path, message: `prod "${prod}" lists "${name}" as a replica, but its role is ${replica.role}` });
        else if (listedBy.has(name)) findings.push({ path, message: `"${name}" is already a replica of "${listedBy.get(name)}"; a replica copies one prod` });
        else listedBy.set(name, prod);
      });
    }
    for (const [name, entry] of Object.entries(file.registries)) {
      if (entry.replicaOf !== undefined && entry.role !== 'replica') {
        findings.push({ path: ['registries', name, 'replicaOf'], at: 'key', message: `"replicaOf" is only for replica registries; "${name}" has role ${entry.role}` });
        continue;
      }
      if (entry.role !== 'replica') continue;
      const owner = listedBy.get(name);
      if (entry.replicaOf !== undefined && owner !== undefined && owner !== entry.replicaOf) {
        findings.push({ path: ['registries', name, 'replicaOf'], message: `"${name}" says replicaOf "${entry.replicaOf}" but is listed as a replica by "${owner}"` });
      } else if (entry.replicaOf === undefined && owner === undefined) {
        findings.push({ path: ['registries', name], at: 'key', message: `replica "${name}" belongs to no prod: set replicaOf or list it under a prod's replicas` });
      }
    }
    return findings;
  },
};
