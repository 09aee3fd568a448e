/**
 * "Does anything downstream still hold this digest?" The registries after this one: every stage's
 * target reachable from it through the promotion stages, plus every prod and replica registry. A
 * digest is looked up by digest (HEAD manifests/<digest>) in the same repository path under each
 * one's namespace; only a 404 counts as "not there" — any other answer stops the run, because a
 * registry we cannot ask might be the one that still runs the image.
 */
import pLimit from 'p-limit';
import { RegtopoError } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistrySpec, Topology } from '../../topology/model.js';
import { throwIfAborted } from '../../transport/abort.js';

export function laterRegistries(topology: Topology, registry: RegistrySpec): RegistrySpec[] {
  const seen = new Set<string>([registry.name]);
  const out: RegistrySpec[] = [];
  const queue = [registry.name];
  while (queue.length) {
    const from = queue.shift()!;
    for (const stage of topology.promotion.stages) {
      if (stage.from !== from || seen.has(stage.to)) continue;
      seen.add(stage.to);
      queue.push(stage.to);
      const target = topology.registries[stage.to];
      if (target) out.push(target);
    }
  }
  for (const r of Object.values(topology.registries)) {
    if ((r.role === 'prod' || r.role === 'replica') && !seen.has(r.name)) {
      seen.add(r.name);
      out.push(r);
    }
  }
  return out;
}

/** The repository `repository` of `from` as it is named inside `to` (namespaces swapped). */
export function counterpart(from: RegistrySpec, to: RegistrySpec, repository: string): string {
  const relative = from.namespace && repository.startsWith(`${from.namespace}/`) ? repository.slice(from.namespace.length + 1) : repository;
  return Reference.of(to.host, to.namespace ? `${to.namespace}/${relative}` : relative).repository;
}

export interface HeldElsewhere {
  held: Set<string>;
  lookups: number;
}

export async function heldElsewhere(
  client: RegistryClient, topology: Topology, registry: RegistrySpec, repository: string, digests: string[], options: { jobs: number; signal?: AbortSignal },
): Promise<HeldElsewhere> {
  const held = new Set<string>();
  let lookups = 0;
  if (digests.length === 0) return { held, lookups };
  const limit = pLimit(options.jobs);
  for (const later of laterRegistries(topology, registry)) {
    const pending = digests.filter((d) => !held.has(d));
    if (pending.length === 0) break;
    const repo = client.repository(Reference.of(later.host, counterpart(registry, later, repository)));
    await Promise.all(pending.map((digest) => limit(async () => {
      throwIfAborted(options.signal);
      lookups++;
      try {
        if (await repo.headManifest(digest)) held.add(digest);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new RegtopoError(err instanceof RegtopoError ? err.code : 'E_REGISTRY', `cannot tell whether registry "${later.name}" holds ${digest} (nothing was deleted): ${why}`, { cause: err });
      }
    })));
  }
  return { held, lookups };
}
