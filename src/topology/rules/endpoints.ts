/**
 * Endpoint sanity after the environment is applied: one endpoint cannot be two kinds of registry
 * (write authority would be ambiguous), and plain http off the machine sends credentials in clear.
 */
import { isLoopbackHost } from '../../ref/registry-host.js';
import type { RuleFinding, TopologyRule } from './rule.js';

export const duplicateUrlConflictingRoles: TopologyRule = {
  name: 'duplicate-url-conflicting-roles',
  severity: 'error',
  description: 'registries sharing an endpoint and namespace must have the same role',
  check({ config }) {
    const findings: RuleFinding[] = [];
    const first = new Map<string, string>();
    for (const registry of Object.values(config.registries)) {
      const key = `${registry.host}/${registry.namespace ?? ''}`;
      const earlier = first.get(key);
      if (earlier === undefined) {
        first.set(key, registry.name);
        continue;
      }
      const other = config.registries[earlier]!;
      if (other.role !== registry.role) {
        const where = registry.namespace ? `${registry.host} namespace ${registry.namespace}` : registry.host;
        findings.push({
          path: ['registries', registry.name, 'url'],
          message: `"${registry.name}" (role ${registry.role}) and "${other.name}" (role ${other.role}) are the same registry (${where}); give them distinct namespaces or the same role`,
        });
      }
    }
    return findings;
  },
};

export const httpForRemoteHost: TopologyRule = {
  name: 'http-for-remote-host',
  severity: 'warning',
  description: 'plain http is for loopback registries; anything else should use https',
  check({ config }) {
    const findings: RuleFinding[] = [];
    const endpoints = [
      ...Object.values(config.registries).map((r) => ({ path: ['registries', r.name, 'url'], endpoint: r })),
      ...Object.values(config.upstreams).map((u) => ({ path: ['upstreams', u.name, 'url'], endpoint: u })),
    ];
    for (const { path, endpoint } of endpoints) {
      if (endpoint.scheme === 'http' && !isLoopbackHost(endpoint.host)) {
        findings.push({ path, message: `plain http to non-loopback host ${endpoint.host}: credentials and content travel unencrypted` });
      }
    }
    return findings;
  },
};
