/**
 * One replica converging to its prod, one repository at a time: compare prod's tag digests (read
 * once, shared by every replica) with the replica's, copy what differs digest-exact with the copy
 * engine, carry the referrers of each copied digest, report extras and prune them when asked.
 * Copies into one replica share a blob ledger (../blob-ledger.ts): a blob one repository of the
 * replica received is mounted into the others, so it is read from prod at most once per replica
 * per run; replicas run side by side.
 */
import { errorSummary } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { RegistrySpec, Topology } from '../../topology/model.js';
import { assertWriteAllowed, writeGuard } from '../../topology/write-authority.js';
import { copy } from '../copy.js';
import { carryReferrers, registrySide, subjectsOf } from '../referrers/index.js';
import { BlobLedger } from '../blob-ledger.js';
import { progressFor, type ImageProgress } from '../image-progress.js';
import { pruneTag } from './prune.js';
import type { ReplicaReport } from './report.js';
import { readTagDigests, writeOrder, type TagMap } from './repository-tags.js';
import { replicaRepository } from './targets.js';
import { throwIfAborted } from '../../transport/abort.js';

export interface ReplicaRunOptions {
  topology: Topology;
  client: RegistryClient;
  dryRun: boolean;
  prune: boolean;
  jobs: number;
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
  /**
   * Shared by the replicas of one prod: false once prod answered that it has no referrers API.
   * Then its referrers can only be fallback tags, which travel as tags, and no more probes are sent.
   */
  referrersApi: { available?: boolean };
  progress?: ImageProgress;
  /** Carry referrers (default true; issue 14). */
  referrers?: boolean;
}

export class ReplicaRun {
  readonly report: ReplicaReport;
  private readonly ledger = new BlobLedger();
  /** Digests whose referrers were carried this run, so a digest under many tags is walked once. */
  private readonly referrersDone = new Set<string>();
  private mountCount: number;

  constructor(private readonly prod: RegistrySpec, readonly replica: RegistrySpec, private readonly options: ReplicaRunOptions) {
    this.report = { name: replica.name, registry: replica.host, prod: prod.name, tags: [], mounted: 0, referrers: { copied: 0, present: 0, warnings: [] } };
    this.mountCount = 0;
  }

  /** Records every tag of a prod repository that could not be read as failed for this replica. */
  failRepository(prodPath: string, err: unknown): void {
    this.report.tags.push({ repository: replicaRepository(this.prod, this.replica, prodPath), tag: '', digest: '', action: 'failed', error: errorSummary(err) });
  }

  async syncRepository(prodPath: string, prodTags: TagMap): Promise<void> {
    const { client, topology, signal } = this.options;
    const path = replicaRepository(this.prod, this.replica, prodPath);
    const src = client.repository({ registry: this.prod.host, repository: prodPath });
    const dst = client.repository({ registry: this.replica.host, repository: path });
    let have: TagMap;
    try {
      assertWriteAllowed(topology, dst, 'replicate');
      have = await readTagDigests(dst, this.options.limit, signal);
    } catch (err) {
      // The replica is unreachable (or refuses): every prod tag of this repository failed here.
      const error = errorSummary(err);
      for (const tag of writeOrder(prodTags.keys())) this.report.tags.push({ repository: path, tag, digest: prodTags.get(tag)!.digest, action: 'failed', error });
      return;
    }
    for (const tag of writeOrder(prodTags.keys())) {
      throwIfAborted(signal);
      const digest = prodTags.get(tag)!.digest;
      const current = have.get(tag)?.digest;
      if (current === digest) {
        this.report.tags.push({ repository: path, tag, digest, action: 'in-sync' });
        continue;
      }
      const entry = current
        ? { repository: path, tag, digest, action: 'updated' as const, previous: current }
        : { repository: path, tag, digest, action: 'copied' as const };
      if (!this.options.dryRun) {
        try {
          await this.copyTag(src, dst, tag, digest);
        } catch (err) {
          this.report.tags.push({ ...entry, action: 'failed', error: errorSummary(err) });
          continue;
        }
      }
      this.report.tags.push(entry);
    }
    // After this run the replica keeps exactly prod's tags.
    const kept: TagMap = new Map(prodTags);
    for (const tag of writeOrder(have.keys())) {
      if (prodTags.has(tag)) continue;
      const digest = have.get(tag)!.digest;
      if (!this.options.prune || this.options.dryRun) {
        this.report.tags.push({ repository: path, tag, digest, action: 'extra' });
        continue;
      }
      try {
        await pruneTag(dst, tag, digest, kept);
        this.report.tags.push({ repository: path, tag, digest, action: 'extra', pruned: true });
      } catch (err) {
        this.report.tags.push({ repository: path, tag, digest, action: 'failed', error: errorSummary(err) });
      }
    }
  }

  /** The report, with the ledger's totals. */
  finish(): ReplicaReport {
    this.report.mounted = this.mountCount;
    return this.report;
  }

  private async copyTag(src: RegistryRepository, dst: RegistryRepository, tag: string, digest: string): Promise<void> {
    await this.copyWithEngine(src, dst, tag, digest);
    await this.copyReferrers(src, dst, digest);
  }

  private async copyWithEngine(src: RegistryRepository, dst: RegistryRepository, tag: string, digest: string): Promise<void> {
    const { client, topology, jobs } = this.options;
    const from = Reference.of(src.registry, src.repository, undefined, digest);
    const to = Reference.of(dst.registry, dst.repository, tag);
    const r = await copy({ kind: 'registry', ref: from }, { kind: 'registry', ref: to }, {
      client, jobs, ledger: this.ledger, authorizeWrite: writeGuard(topology, 'replicate'),
      ...progressFor(this.options.progress, to.toString()),
    });
    this.mountCount += r.blobs.mounted;
  }

  /**
   * The referrer tree of a digest just copied, when prod has the referrers API (ops/referrers/):
   * recursively and for each child of an index, with the replica's fallback tags merged when it
   * lacks the API. Without the API prod's referrers are fallback and cosign tags, which travel as
   * tags already, and no more probes are sent.
   */
  private async copyReferrers(src: RegistryRepository, dst: RegistryRepository, digest: string): Promise<void> {
    const { client, topology, jobs, signal, referrersApi } = this.options;
    if (this.options.referrers === false || referrersApi.available === false) return;
    const from = registrySide(Reference.of(src.registry, src.repository), client, signal);
    if (!(await from.hasReferrersApi(digest))) {
      referrersApi.available = false;
      return;
    }
    const key = `${dst.repository}@${digest}`;
    if (this.referrersDone.has(key)) return;
    const to = registrySide(Reference.of(dst.registry, dst.repository), client, signal);
    const r = await carryReferrers(from, to, await subjectsOf(to, digest), { client, jobs, signal, ledger: this.ledger, authorizeWrite: writeGuard(topology, 'replicate') });
    this.referrersDone.add(key);
    this.report.referrers.copied += r.copied;
    this.report.referrers.present += r.present;
    this.report.referrers.warnings.push(...r.warnings);
  }
}
