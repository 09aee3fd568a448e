/**
 * What each replica holds for a set of prod tags, for `inventory`: the digest the replica's tags
 * name and whether every one of them names prod's digest. One HEAD per tag per replica.
 */
import { errorSummary, type ErrorCode } from '../../errors.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { Topology } from '../../topology/model.js';
import { replicaRepository } from './targets.js';

export interface ReplicaState {
  name: string;
  registry: string;
  repository: string;
  /** The digest the replica's first tag names; absent when it has none of the tags. */
  digest?: string;
  inSync: boolean;
  error?: { code: ErrorCode; message: string };
}

export async function replicaState(
  topology: Topology, client: RegistryClient, prodName: string, prodRepository: string, tags: string[], digest: string | undefined,
): Promise<ReplicaState[]> {
  const prod = topology.registries[prodName];
  if (!prod || prod.role !== 'prod') return [];
  return Promise.all(prod.replicas.map(async (name): Promise<ReplicaState> => {
    const replica = topology.registries[name]!;
    const repository = replicaRepository(prod, replica, prodRepository);
    const state: ReplicaState = { name, registry: replica.host, repository, inSync: false };
    try {
      const repo = client.repository({ registry: replica.host, repository });
      const held = await Promise.all(tags.map(async (t) => (await repo.headManifest(t))?.digest));
      state.digest = held.find((d) => d !== undefined);
      state.inSync = digest !== undefined && held.length > 0 && held.every((d) => d === digest);
    } catch (err) {
      state.error = errorSummary(err);
    }
    return state;
  }));
}
