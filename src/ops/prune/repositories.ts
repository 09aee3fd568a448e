/**
 * Which registries prune, which repositories in them, and which tags the topology itself relies on
 * there. Repositories: those of every promotion image whose source or stages touch the registry,
 * plus (when `/v2/_catalog` is readable) every repository the catalog lists inside this registry's
 * namespace — and not inside a longer namespace another topology registry on the same host owns.
 */
import { RegtopoError } from '../../errors.js';
import type { RegistrySpec, Topology } from '../../topology/model.js';
import { registryByName, registryForAddress, resolveRegistryRef } from '../../topology/registry-lookup.js';
import type { PruneRepositoryReport } from './report.js';

const PRUNABLE = new Set(['sandbox', 'ci']);

/** The named registries (default: every one with a retention policy), checked to be prunable. */
export function registriesToPrune(topology: Topology, names: string[] | undefined): (RegistrySpec & { retention: NonNullable<RegistrySpec['retention']> })[] {
  const chosen = names?.length ? [...new Set(names)].map((n) => registryByName(topology, n)) : Object.values(topology.registries).filter((r) => r.retention);
  return chosen.map((r) => {
    if (!PRUNABLE.has(r.role)) throw new RegtopoError('E_POLICY', `refusing to prune registry "${r.name}" (role ${r.role}): only sandbox and ci registries are pruned`);
    if (!r.retention) throw new RegtopoError('E_USAGE', `registry "${r.name}" has no retention policy; add retention: { keepNewest, olderThan, keep } to it in the topology`);
    return r as RegistrySpec & { retention: NonNullable<RegistrySpec['retention']> };
  });
}

export function topologyRepositories(topology: Topology, registry: RegistrySpec): string[] {
  const out = new Set<string>();
  for (const image of topology.promotion.images) {
    const touches = image.source === registry.name || topology.promotion.stages.some((s) => s.from === registry.name || s.to === registry.name);
    if (touches) out.add(resolveRegistryRef(topology, registry.name, image.repository).repository);
  }
  return [...out];
}

export function repositoriesToPrune(
  topology: Topology, registry: RegistrySpec, catalog: string[],
): { repository: string; source: PruneRepositoryReport['source'] }[] {
  const fromTopology = new Set(topologyRepositories(topology, registry));
  const fromCatalog = new Set(catalog.filter((repository) => registryForAddress(topology, { registry: registry.host, repository })?.name === registry.name));
  return [...new Set([...fromTopology, ...fromCatalog])].sort().map((repository) => ({
    repository,
    source: fromTopology.has(repository) && fromCatalog.has(repository) ? 'both' : fromTopology.has(repository) ? 'topology' : 'catalog',
  }));
}

/** Catalog names outside this registry (another namespace), for the report. */
export function foreignCatalogEntries(topology: Topology, registry: RegistrySpec, catalog: string[]): string[] {
  return catalog.filter((repository) => registryForAddress(topology, { registry: registry.host, repository })?.name !== registry.name);
}

/**
 * Tags the promotion stages rely on in this registry: what a stage reads from it (its source tags)
 * and what a stage writes into it (literal target tags; templated ones such as {version} are
 * written by promotion, so their digests carry promotion records).
 */
export function stageTags(topology: Topology, registry: RegistrySpec): Set<string> {
  const tags = new Set<string>();
  for (const stage of topology.promotion.stages) {
    if (stage.from === registry.name) for (const t of stage.tags) tags.add(t);
    if (stage.to === registry.name) for (const t of stage.targetTags) if (!t.includes('{')) tags.add(t);
  }
  return tags;
}
