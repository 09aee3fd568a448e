/**
 * The topology as a format-neutral graph: groups (users, one per role, upstreams, backups), nodes,
 * and labelled edges for access (push/pull) and flows (promote, replicate, mirror, backup). The
 * Mermaid and DOT renderers only lay this out, so both always show the same picture. Order follows
 * the file, which keeps output deterministic and diffable.
 */
import type { Role, Topology } from '../model.js';

export type NodeKind = 'user' | 'registry' | 'upstream' | 'backup';
export type EdgeKind = 'push' | 'pull' | 'flow';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** One entry per line. */
  label: string[];
}

export interface GraphGroup {
  id: string;
  label: string;
  nodes: GraphNode[];
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
  kind: EdgeKind;
}

export interface TopologyGraph {
  environment?: string;
  groups: GraphGroup[];
  edges: GraphEdge[];
}

const ROLE_ORDER: readonly Role[] = ['sandbox', 'ci', 'prod', 'replica', 'archive'];
const ROLE_TITLES: Record<Role, string> = { sandbox: 'Sandbox', ci: 'CI', prod: 'Prod', replica: 'Replicas', archive: 'Archive' };

const USERS = [
  { id: 'user_dev', label: 'Dev' },
  { id: 'user_ci', label: 'CI' },
  { id: 'user_consumers', label: 'Prod consumers' },
] as const;

/** Who writes by hand and who reads, per role; every other write is a flow edge. */
const PUSHERS: Partial<Record<Role, string>> = { sandbox: 'user_dev', ci: 'user_ci' };
const READERS: Record<Role, string[]> = {
  sandbox: ['user_dev'],
  ci: ['user_dev', 'user_ci'],
  prod: ['user_consumers'],
  replica: ['user_consumers'],
  archive: ['user_dev', 'user_ci'],
};

export function buildTopologyGraph(config: Topology): TopologyGraph {
  const registries = Object.values(config.registries);
  const groups: GraphGroup[] = [{ id: 'users', label: 'Users', nodes: USERS.map((u) => ({ id: u.id, kind: 'user', label: [u.label] })) }];
  for (const role of ROLE_ORDER) {
    const members = registries.filter((r) => r.role === role);
    if (members.length === 0) continue;
    groups.push({
      id: `role_${role}`,
      label: ROLE_TITLES[role],
      nodes: members.map((r) => ({ id: registryId(r.name), kind: 'registry', label: [r.name, r.namespace ? `${r.url}/${r.namespace}` : r.url] })),
    });
  }

  const usedUpstreams = [...new Set(config.mirrors.rules.map((m) => m.upstream))].filter((u) => u in config.upstreams);
  if (usedUpstreams.length > 0) {
    groups.push({
      id: 'upstreams',
      label: 'Upstreams',
      nodes: usedUpstreams.map((name) => ({ id: upstreamId(name), kind: 'upstream', label: [name, config.upstreams[name]!.url] })),
    });
  }

  const edges: GraphEdge[] = [];
  const backupNodes: GraphNode[] = [];
  for (const r of registries) {
    const pusher = PUSHERS[r.role];
    if (pusher) edges.push({ from: pusher, to: registryId(r.name), label: 'push', kind: 'push' });
  }
  for (const stage of config.promotion.stages) {
    if (!(stage.from in config.registries) || !(stage.to in config.registries)) continue;
    edges.push({ from: registryId(stage.from), to: registryId(stage.to), label: `promote ${stage.tags.join(',')}→${stage.name}`, kind: 'flow' });
  }
  for (const r of registries) {
    if (r.role !== 'prod') continue;
    for (const replica of r.replicas) {
      if (replica in config.registries) edges.push({ from: registryId(r.name), to: registryId(replica), label: 'replicate', kind: 'flow' });
    }
  }
  for (const [key, repositories] of mirrorPairs(config)) {
    const [upstream, target] = JSON.parse(key) as [string, string];
    edges.push({ from: upstreamId(upstream), to: registryId(target), label: `mirror ${repositories.join(', ')}`, kind: 'flow' });
  }
  for (const r of registries) {
    if (!r.backup) continue;
    if (r.backup.kind === 'oci') {
      const node: GraphNode = { id: `backup_${backupNodes.length + 1}`, kind: 'backup', label: ['backup', `oci:${r.backup.dir}`] };
      backupNodes.push(node);
      edges.push({ from: registryId(r.name), to: node.id, label: 'backup', kind: 'flow' });
    } else if (r.backup.registry in config.registries) {
      edges.push({ from: registryId(r.name), to: registryId(r.backup.registry), label: 'backup', kind: 'flow' });
    }
  }
  if (backupNodes.length > 0) groups.push({ id: 'backups', label: 'Backups', nodes: backupNodes });
  for (const r of registries) {
    for (const reader of READERS[r.role]) edges.push({ from: registryId(r.name), to: reader, label: 'pull', kind: 'pull' });
  }
  return { ...(config.environment !== undefined && { environment: config.environment }), groups, edges };
}

/** Mirror rules folded per (upstream, target), listing repositories in rule order. */
function mirrorPairs(config: Topology): Map<string, string[]> {
  const pairs = new Map<string, string[]>();
  for (const rule of config.mirrors.rules) {
    if (!(rule.upstream in config.upstreams) || !(rule.target in config.registries)) continue;
    const key = JSON.stringify([rule.upstream, rule.target]);
    const list = pairs.get(key) ?? [];
    if (!list.includes(rule.repository)) list.push(rule.repository);
    pairs.set(key, list);
  }
  return pairs;
}

// Names allow only [a-z0-9-], so swapping "-" for "_" cannot make two ids collide.
function registryId(name: string): string {
  return `reg_${name.replace(/-/g, '_')}`;
}

function upstreamId(name: string): string {
  return `up_${name.replace(/-/g, '_')}`;
}
