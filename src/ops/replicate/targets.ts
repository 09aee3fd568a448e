/**
 * Which replicas a run converges and which repositories it looks at. Pure: reads the topology only.
 * Repositories are named as prod holds them; `replicaRepository` maps a prod path into a replica
 * that sits under a different namespace.
 */
import { RegtopoError } from '../../errors.js';
import type { RegistrySpec, Topology } from '../../topology/model.js';
import { registryByName, resolveRegistryRef } from '../../topology/registry-lookup.js';
import { didYouMean } from '../../topology/suggest.js';

export interface ReplicationGroup {
  prod: RegistrySpec;
  replicas: RegistrySpec[];
  /** Repository paths in prod; undefined: every repository prod's catalog lists (`--all`). */
  repositories: string[] | undefined;
}

export interface SelectOptions {
  /** Promotion image names; default every image a promotion stage writes into the prod. */
  images?: string[];
  all?: boolean;
  /** Replica names; default every replica of every prod. */
  replicas?: string[];
}

export function replicationGroups(topology: Topology, options: SelectOptions): ReplicationGroup[] {
  if (options.all && options.images?.length) throw new RegtopoError('E_USAGE', 'pass image names or --all, not both');
  const wanted = options.replicas?.length ? new Set(options.replicas) : undefined;
  for (const name of wanted ?? []) {
    const r = registryByName(topology, name);
    if (r.role !== 'replica') throw new RegtopoError('E_USAGE', `--replica ${name}: registry "${name}" has role ${r.role}, not replica`);
  }
  const groups: ReplicationGroup[] = [];
  for (const prod of Object.values(topology.registries)) {
    if (prod.role !== 'prod') continue;
    const replicas = prod.replicas.map((n) => registryByName(topology, n)).filter((r) => !wanted || wanted.has(r.name));
    if (replicas.length === 0) continue;
    groups.push({ prod, replicas, repositories: options.all ? undefined : imageRepositories(topology, prod, options.images) });
  }
  return groups;
}

/** The named promotion images' repositories in `prod`, or those of every image a stage writes there. */
function imageRepositories(topology: Topology, prod: RegistrySpec, names: string[] | undefined): string[] {
  const images = topology.promotion.images;
  let chosen = images;
  if (names?.length) {
    chosen = names.map((n) => {
      const found = images.find((i) => i.name === n);
      if (!found) {
        const known = images.map((i) => i.name);
        throw new RegtopoError('E_USAGE', `no promotion image "${n}" in the topology${didYouMean(n, known, `; known: ${known.join(', ') || 'none'}`)}`);
      }
      return found;
    });
  } else if (!topology.promotion.stages.some((s) => s.to === prod.name)) {
    chosen = [];
  }
  return [...new Set(chosen.map((i) => resolveRegistryRef(topology, prod.name, i.repository).repository))];
}

/** `prod`'s repository path as it sits in `replica`: prod's namespace swapped for the replica's. */
export function replicaRepository(prod: RegistrySpec, replica: RegistrySpec, repository: string): string {
  let rest = repository;
  if (prod.namespace && (rest === prod.namespace || rest.startsWith(`${prod.namespace}/`))) rest = rest.slice(prod.namespace.length + 1);
  return replica.namespace ? (rest ? `${replica.namespace}/${rest}` : replica.namespace) : rest;
}

/** Catalog entries that belong to `prod` (inside its namespace). */
export function inNamespace(prod: RegistrySpec, repositories: string[]): string[] {
  const ns = prod.namespace;
  return ns ? repositories.filter((r) => r === ns || r.startsWith(`${ns}/`)) : repositories;
}
