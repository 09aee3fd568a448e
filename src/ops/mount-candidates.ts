/**
 * Where in the target registry a copy's blobs probably are already, from the topology alone (no
 * requests, no cache): the other repositories that promotion, replication and mirroring write in
 * that registry. The copy engine tries a cross-repository mount from them before uploading
 * (distribution-spec "mounting a blob from another repository"); a wrong guess costs one refused
 * mount. This is what makes a promotion into prod cheap on an ephemeral CI runner without a cache.
 */
import type { RegistryAddress } from '../topology/registry-lookup.js';
import { resolveRegistryRef } from '../topology/registry-lookup.js';
import type { Topology } from '../topology/model.js';
import { replicaRepository } from './replicate/targets.js';

/**
 * Repositories on `target.registry` other than `target.repository`, best first: the same image's
 * repositories (its promotion stages and their replicas) before other images' and mirrors'.
 */
export function mountCandidates(topology: Topology, target: RegistryAddress): string[] {
  const same: string[] = [];
  const other: string[] = [];
  const add = (registryName: string, repository: string, sameImage: boolean) => {
    const spec = topology.registries[registryName];
    if (!spec) return;
    const ref = resolveRegistryRef(topology, registryName, repository);
    if (ref.registry === target.registry) (sameImage ? same : other).push(ref.repository);
    // A replica holds what its prod was given, under its own namespace.
    for (const name of spec.replicas) {
      const replica = topology.registries[name];
      if (replica?.host === target.registry) (sameImage ? same : other).push(replicaRepository(spec, replica, ref.repository));
    }
  };
  for (const image of topology.promotion.images) {
    const registries = new Set([image.source, ...topology.promotion.stages.flatMap((s) => [s.from, s.to])]);
    const isTarget = [...registries].some((r) => {
      const spec = topology.registries[r];
      return spec !== undefined && resolveRegistryRef(topology, r, image.repository).repository === target.repository;
    });
    for (const r of registries) add(r, image.repository, isTarget);
  }
  for (const rule of topology.mirrors.rules) add(rule.target, rule.path, false);
  return [...new Set([...same, ...other])].filter((r) => r !== target.repository);
}
