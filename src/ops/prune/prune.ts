/**
 * `prune(options)`: applies the topology's retention policies to sandbox and CI registries without
 * ever deleting what a later stage or a record needs. A dry run unless `confirm`.
 *
 * Order of work: every registry is planned before anything is deleted anywhere (plans only read);
 * then, with `confirm`, every registry with deletions is probed for delete support (so a registry
 * that refuses stops the run before the first delete); then, per repository, the tags are read
 * again and every tag that is not itself going is HEADed, so a tag that moved onto a doomed digest
 * since planning saves it; then digests are deleted in batches of `jobs`, the tag list read again
 * before each batch (new tags HEADed), each digest with its status and approval records.
 */
import pLimit from 'p-limit';
import { errorSummary, RegtopoError } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { RegistrySpec, Topology } from '../../topology/model.js';
import { listApprovals } from '../promotion/approvals.js';
import { isRecordTag, subjectKey, tagsOf } from '../promotion/records.js';
import { clientForTopology, type TopologyClientOptions } from '../topology-client.js';
import { throwIfAborted } from '../../transport/abort.js';
import { readCatalog } from '../../registry/catalog.js';
import { decideRepository, lookupCandidates } from './decide.js';
import { DeletesRefusedError, deleteWithRecords, probeDeletes } from './delete.js';
import { heldElsewhere } from './later-stages.js';
import { foreignCatalogEntries, registriesToPrune, repositoriesToPrune, stageTags } from './repositories.js';
import { gatherFacts, type RecordTag } from './repository-facts.js';
import { summarise, type PruneRegistryReport, type PruneReport, type PruneRepositoryReport } from './report.js';

/** Manifest reads, lookups and deletes in flight per repository: latency-bound small requests. */
export const DEFAULT_PRUNE_JOBS = 8;

export interface PruneOptions {
  topology: Topology;
  /** Registry names; default every registry with a retention policy. */
  registries?: string[];
  /** Delete; without it nothing is written (a dry run). */
  confirm?: boolean;
  /** Requests in flight per repository (default 8). */
  jobs?: number;
  client?: RegistryClient;
  /** For the client built from the topology when `client` is absent. */
  clientOptions?: TopologyClientOptions;
  signal?: AbortSignal;
  /** Clock for ages (tests); default Date.now. */
  now?: () => number;
  /**
   * With `confirm`: called with the plan once every registry is planned, before the first DELETE
   * (a UI can show it; throwing cancels the run with nothing deleted).
   */
  beforeDelete?: (plan: PruneReport) => void | Promise<void>;
}

interface RepositoryPlan {
  repo: RegistryRepository;
  report: PruneRepositoryReport;
  records: Map<string, RecordTag[]>;
}

interface RegistryPlan {
  registry: RegistrySpec;
  report: PruneRegistryReport;
  repositories: RepositoryPlan[];
}

export async function prune(options: PruneOptions): Promise<PruneReport> {
  const { topology, signal } = options;
  const targets = registriesToPrune(topology, options.registries);
  const jobs = options.jobs ?? DEFAULT_PRUNE_JOBS;
  if (!Number.isInteger(jobs) || jobs < 1) throw new RegtopoError('E_USAGE', `jobs must be a positive integer, got ${jobs}`);
  const now = (options.now ?? Date.now)();
  const client = options.client ?? clientForTopology(topology, options.clientOptions);
  const counters = { lookups: 0 };
  try {
    throwIfAborted(signal);
    const pending = await pendingApprovalDigests(topology, client);
    const plans: RegistryPlan[] = [];
    for (const registry of targets) {
      throwIfAborted(signal);
      plans.push(await planRegistry(client, topology, registry, pending, { jobs, now, signal, counters }));
    }
    if (options.confirm) {
      if (options.beforeDelete) {
        const planned = plans.map((p) => p.report);
        await options.beforeDelete(structuredClone({ registries: planned, summary: summarise(planned, true, counters.lookups) }));
      }
      for (const plan of plans) {
        const first = plan.repositories.find((r) => r.report.digests.length > 0);
        throwIfAborted(signal);
        if (first) await probeDeletes(first.repo, plan.registry.name);
      }
      for (const plan of plans) {
        for (const repoPlan of plan.repositories) {
          throwIfAborted(signal);
          if (repoPlan.report.digests.length > 0) await executeRepository(repoPlan, plan.registry, { jobs, signal });
        }
      }
    }
    const registries = plans.map((p) => p.report);
    return { registries, summary: summarise(registries, !options.confirm, counters.lookups) };
  } finally {
    if (!options.client) await client.close();
  }
}

/** Digests a promotion waits to be approved for (`regtopo approvals --pending`). */
async function pendingApprovalDigests(topology: Topology, client: RegistryClient): Promise<Set<string>> {
  if (!topology.promotion.stages.some((s) => s.approval)) return new Set();
  const { pending } = await listApprovals({ topology, client }, { pendingOnly: true });
  return new Set(pending.map((p) => p.digest));
}

async function planRegistry(
  client: RegistryClient, topology: Topology, registry: RegistrySpec & { retention: NonNullable<RegistrySpec['retention']> }, pending: Set<string>,
  ctx: { jobs: number; now: number; signal?: AbortSignal; counters: { lookups: number } },
): Promise<RegistryPlan> {
  const catalog = await readCatalog(client, registry.host, { signal: ctx.signal });
  const skipped = [...catalog.invalid, ...foreignCatalogEntries(topology, registry, catalog.repositories).map((r) => `${r} (another registry's namespace)`)];
  const report: PruneRegistryReport = {
    name: registry.name, role: registry.role, retention: registry.retention,
    catalog: { read: catalog.read, ...(catalog.reason && { reason: catalog.reason }), repositories: catalog.repositories.length, skipped },
    repositories: [],
  };
  const protectedTags = stageTags(topology, registry);
  const repositories: RepositoryPlan[] = [];
  for (const { repository, source } of repositoriesToPrune(topology, registry, catalog.repositories)) {
    throwIfAborted(ctx.signal);
    const repo = client.repository(Reference.of(registry.host, repository));
    const allTags = await tagsOf(repo);
    if (!allTags.some((t) => !isRecordTag(t))) continue;
    const facts = await gatherFacts(repo, allTags, { stageTags: protectedTags, pendingApproval: pending, jobs: ctx.jobs, signal: ctx.signal });
    const candidates = lookupCandidates(facts, registry.retention, ctx.now);
    const { held, lookups } = await heldElsewhere(client, topology, registry, repository, candidates, { jobs: ctx.jobs, signal: ctx.signal });
    ctx.counters.lookups += lookups;
    const decision = decideRepository({ ...facts, inProd: held }, registry.retention, ctx.now);
    const records = decision.digests.reduce((n, d) => n + (facts.records.get(subjectKey(d)) ?? []).filter((r) => r.kind !== 'promotion').length, 0);
    const repoReport: PruneRepositoryReport = { repository, source, tags: decision.tags, digests: decision.digests, records };
    report.repositories.push(repoReport);
    repositories.push({ repo, report: repoReport, records: facts.records });
  }
  return { registry, report, repositories };
}

async function executeRepository(plan: RepositoryPlan, registry: RegistrySpec, ctx: { jobs: number; signal?: AbortSignal }): Promise<void> {
  const { repo, report } = plan;
  const doomed = new Set(report.digests);
  const going = new Set(report.tags.filter((t) => t.action === 'delete').map((t) => t.tag));
  const seen = new Set<string>();
  const limit = pLimit(ctx.jobs);
  // Every tag that stays and has not been looked at yet (new ones included) is HEADed: if it points
  // at a digest about to be deleted, the delete would take it along, so that digest is kept after all.
  const recheck = async (): Promise<void> => {
    const fresh = (await tagsOf(repo)).filter((t) => !isRecordTag(t) && !going.has(t) && !seen.has(t));
    await Promise.all(fresh.map((tag) => limit(async () => {
      throwIfAborted(ctx.signal);
      seen.add(tag);
      const head = await repo.headManifest(tag);
      if (head && doomed.delete(head.digest)) {
        for (const t of report.tags) if (t.digest === head.digest && t.action === 'delete') Object.assign(t, { action: 'keep', reason: 'shared-digest' });
      }
    })));
  };
  report.records = 0;
  const failed: NonNullable<PruneRepositoryReport['failed']> = [];
  const deleted: string[] = [];
  const queue = [...report.digests];
  // Deletes go in batches of `jobs`, each after a fresh look at the tag list, so a tag CI pushes
  // meanwhile can only be lost in the few milliseconds between that look and its batch's DELETEs.
  for (let i = 0; i < queue.length; i += ctx.jobs) {
    await recheck();
    const batch = queue.slice(i, i + ctx.jobs).filter((d) => doomed.has(d));
    await Promise.all(batch.map(async (digest) => {
      throwIfAborted(ctx.signal);
      try {
        const records = await deleteWithRecords(repo, registry.name, digest, plan.records);
        report.records += records;
        deleted.push(digest);
      } catch (err) {
        // A registry that refuses deletes stops the whole run; anything else fails this digest only.
        if (err instanceof DeletesRefusedError) throw err;
        failed.push({ digest, ...errorSummary(err) });
      }
    }));
  }
  report.digests = report.digests.filter((d) => deleted.includes(d));
  if (failed.length) {
    report.failed = failed;
    for (const f of failed) for (const t of report.tags) if (t.digest === f.digest && t.action === 'delete') t.failed = f.code;
  }
}
