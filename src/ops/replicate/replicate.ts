/**
 * `replicate(options)`: converges every replica of a prod registry to it. Prod's tags are read once
 * per repository (tag list, one HEAD per tag) and compared with each replica's; a replica in sync
 * costs one HEAD per tag on each side and nothing else. One failing replica or tag never stops the
 * others: the report says what failed.
 */
import pLimit from 'p-limit';
import { listCatalog } from '../../registry/catalog.js';
import { RegistryClient } from '../../registry/registry-client.js';
import type { Topology } from '../../topology/model.js';
import { concurrencyLimit } from '../../topology/registry-lookup.js';
import { DEFAULT_JOBS } from '../copy.js';
import { clientForTopology } from '../topology-client.js';
import type { ImageProgress } from '../image-progress.js';
import { ReplicaRun } from './replica-run.js';
import { summarise, type ReplicateReport } from './report.js';
import { readTagDigests, type TagMap } from './repository-tags.js';
import { inNamespace, replicationGroups, type SelectOptions } from './targets.js';
import { throwIfAborted } from '../../transport/abort.js';

export interface ReplicateOptions extends SelectOptions {
  topology: Topology;
  /** Only the replicas of this prod registry (promote uses it); default every prod with replicas. */
  prod?: string;
  /** Decide and report; write nothing. */
  dryRun?: boolean;
  /** Delete tags that exist only in the replica. */
  prune?: boolean;
  /**
   * Parallel HEADs and blob transfers per copy. Default DEFAULT_JOBS, capped by the registries'
   * `limits.concurrency` like every copy.
   */
  jobs?: number;
  /** Shared client; default one configured from the topology, closed when the run ends. */
  client?: RegistryClient;
  signal?: AbortSignal;
  /** Each tag's copy events, by image (the replica's host/repository:tag); see ../image-progress.ts. */
  progress?: ImageProgress;
  /** Carry the referrers of each copied digest (default true; issue 14). */
  referrers?: boolean;
}

export async function replicate(options: ReplicateOptions): Promise<ReplicateReport> {
  const { topology, signal } = options;
  const groups = replicationGroups(topology, options).filter((g) => !options.prod || g.prod.name === options.prod);
  const client = options.client ?? clientForTopology(topology);
  const runs: ReplicaRun[] = [];
  let repositories = 0;
  try {
    for (const group of groups) {
      throwIfAborted(signal);
      const addresses = [group.prod, ...group.replicas].map((r) => ({ registry: r.host, repository: r.namespace ?? '' }));
      const jobs = Math.min(options.jobs ?? DEFAULT_JOBS, concurrencyLimit(topology, ...addresses) ?? Infinity);
      const limit = pLimit(jobs);
      const referrersApi = {};
      const groupRuns = group.replicas.map((replica) => new ReplicaRun(group.prod, replica, {
        topology, client, dryRun: options.dryRun ?? false, prune: options.prune ?? false, jobs, limit, signal, referrersApi, referrers: options.referrers ?? true,
        ...(options.progress && { progress: options.progress }),
      }));
      runs.push(...groupRuns);
      let repos: string[];
      try {
        repos = group.repositories ?? inNamespace(group.prod, await listCatalog(client, group.prod.host, { signal }));
      } catch (err) {
        if (signal?.aborted) throw err;
        for (const run of groupRuns) run.failRepository(group.prod.namespace ?? '', err);
        continue;
      }
      repositories += repos.length;
      for (const path of repos) {
        let prodTags: TagMap;
        try {
          prodTags = await readTagDigests(client.repository({ registry: group.prod.host, repository: path }), limit, signal);
        } catch (err) {
          if (signal?.aborted) throw err;
          for (const run of groupRuns) run.failRepository(path, err);
          continue;
        }
        await Promise.all(groupRuns.map((run) => run.syncRepository(path, prodTags)));
      }
    }
  } finally {
    if (!options.client) await client.close();
  }
  const replicas = runs.map((r) => r.finish());
  const summary = summarise(replicas, repositories);
  return { ok: summary.failed === 0, dryRun: options.dryRun ?? false, replicas, summary };
}
