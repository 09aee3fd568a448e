/**
 * `backup(options)`: every registry with a `backup:` target (or the ones named) into its OCI image
 * layout. Per tag one HEAD; only digests the layout lacks are copied (the copy engine skips blobs
 * the layout has, and blobs are shared by every repository), then the refs move, the old digest of
 * a moved tag staying under a history ref. Nothing is ever deleted. Content is written before refs
 * and every file is replaced by rename, so a killed run leaves a readable layout that the next run
 * completes.
 */
import { progressFor, type ImageProgress } from '../image-progress.js';
import { resolve } from 'node:path';
import pLimit from 'p-limit';
import { errorSummary, RegtopoError, type ErrorCode } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import { listCatalog } from '../../registry/catalog.js';
import type { Descriptor } from '../../registry/descriptor.js';
import { OciLayoutStore } from '../../registry/oci-layout-store.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistrySpec, Topology } from '../../topology/model.js';
import { registryByName } from '../../topology/registry-lookup.js';
import { copy, DEFAULT_JOBS } from '../copy.js';
import { historyTag } from '../mirror/history-tag.js';
import { clientForTopology } from '../topology-client.js';
import { readTagDigests, writeOrder } from '../replicate/repository-tags.js';
import { readRefs, refName, setRefs, type RefChange } from './layout-refs.js';
import { verifyLayout, type LayoutVerification } from './verify-layout.js';
import { BlobLedger } from '../blob-ledger.js';
import { carryEach, isReferrerTag, layoutSide, registrySide } from '../referrers/index.js';
import { throwIfAborted } from '../../transport/abort.js';

export interface BackupOptions {
  topology: Topology;
  /** Registry names; default every registry with a `backup:` target. */
  registries?: string[];
  /** `oci:DIR` (or DIR) instead of the topology's target; one registry only. */
  to?: string;
  /** Re-hash the whole layout afterwards. */
  verify?: boolean;
  /** Parallel HEADs and blob transfers (default DEFAULT_JOBS). */
  jobs?: number;
  client?: RegistryClient;
  signal?: AbortSignal;
  /** Clock for history ref dates; default Date.now. */
  now?: () => number;
  /** Each tag's copy events, by image (the registry's host/repository:tag); see ../image-progress.ts. */
  progress?: ImageProgress;
  /**
   * Keep each image's referrers (signatures, SBOMs, attestations; issue 14) in the layout: the
   * referrer manifests by digest, each subject's fallback index and cosign's tags as refs
   * `REPOSITORY:sha256-<hex>[.sig|.att|.sbom]`, merged with what the layout kept. Default true.
   * Fallback and cosign tags are tags, so they travel with the tags (a later signature moves its
   * ref, the old list kept under a history ref); the walk adds what only the referrers API lists,
   * for the digests a run adds or moves, so an unchanged backup stays one HEAD per tag.
   */
  referrers?: boolean;
}

export type BackupAction = 'unchanged' | 'added' | 'moved' | 'failed';

export interface BackupRefReport {
  /** `REPOSITORY:TAG` */
  ref: string;
  digest: string;
  action: BackupAction;
  previous?: string;
  historyRef?: string;
  error?: { code: ErrorCode; message: string };
}

export interface BackupRegistryReport {
  name: string;
  registry: string;
  /** Absolute path of the layout directory. */
  layout: string;
  repositories: number;
  refs: BackupRefReport[];
  verify?: LayoutVerification;
  /** Referrers kept with the images (see BackupOptions.referrers). */
  referrers?: { copied: number; present: number; warnings: string[] };
  error?: { code: ErrorCode; message: string };
}

export interface BackupReport {
  ok: boolean;
  registries: BackupRegistryReport[];
  summary: Record<BackupAction, number>;
}

export async function backup(options: BackupOptions): Promise<BackupReport> {
  const { topology } = options;
  const chosen = options.registries?.length
    ? options.registries.map((n) => registryByName(topology, n))
    : Object.values(topology.registries).filter((r) => r.backup !== undefined);
  if (chosen.length === 0) throw new RegtopoError('E_USAGE', 'no registry in the topology has a backup: target; name one and pass --to oci:DIR');
  if (options.to && chosen.length > 1) throw new RegtopoError('E_USAGE', `--to names one layout; name one registry (got ${chosen.map((r) => r.name).join(', ')})`);
  const client = options.client ?? clientForTopology(topology);
  const registries: BackupRegistryReport[] = [];
  try {
    for (const registry of chosen) {
      throwIfAborted(options.signal);
      registries.push(await backupRegistry(registry, layoutDir(registry, options.to), client, options));
    }
  } finally {
    if (!options.client) await client.close();
  }
  const summary: Record<BackupAction, number> = { unchanged: 0, added: 0, moved: 0, failed: 0 };
  for (const r of registries) for (const ref of r.refs) summary[ref.action]++;
  const ok = registries.every((r) => !r.error && (!r.verify || r.verify.ok)) && summary.failed === 0;
  return { ok, registries, summary };
}

function layoutDir(registry: RegistrySpec, to: string | undefined): string {
  if (to) return resolve(to.startsWith('oci:') ? to.slice(4) : to);
  if (registry.backup?.kind === 'oci') return resolve(registry.backup.dir);
  if (registry.backup?.kind === 'registry') {
    throw new RegtopoError('E_USAGE', `registry "${registry.name}": backup into another registry (${registry.backup.registry}) is not supported; pass --to oci:DIR`);
  }
  throw new RegtopoError('E_USAGE', `registry "${registry.name}" has no backup: target; pass --to oci:DIR`);
}

async function backupRegistry(registry: RegistrySpec, dir: string, client: RegistryClient, options: BackupOptions): Promise<BackupRegistryReport> {
  const { signal } = options;
  const report: BackupRegistryReport = { name: registry.name, registry: registry.host, layout: dir, repositories: 0, refs: [] };
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const limit = pLimit(jobs);
  const now = new Date(options.now ? options.now() : Date.now());
  try {
    await OciLayoutStore.open(dir, { create: true, signal });
    const all = await listCatalog(client, registry.host, { signal });
    const ns = registry.namespace;
    const repositories = ns ? all.filter((r) => r === ns || r.startsWith(`${ns}/`)) : all;
    report.repositories = repositories.length;
    const refs = await readRefs(dir);
    const withReferrers = options.referrers !== false;
    if (withReferrers) report.referrers = { copied: 0, present: 0, warnings: [] };
    for (const repository of repositories) {
      const tags = await readTagDigests(client.repository({ registry: registry.host, repository }, { signal }), limit, signal);
      const changes: RefChange[] = [];
      for (const tag of writeOrder(tags.keys())) {
        throwIfAborted(signal);
        const entry = await backupTag(registry, dir, repository, tag, tags.get(tag)!, refs.get(refName(repository, tag)), now, client, jobs, changes, signal, options.progress);
        report.refs.push(entry);
      }
      // One index.json rewrite per repository, after its content is in place.
      await setRefs(dir, changes);
      if (withReferrers) {
        const changed = report.refs.filter((r) => (r.action === 'added' || r.action === 'moved') && r.ref.startsWith(`${repository}:`) && !isReferrerTag(r.ref.slice(repository.length + 1)));
        const digests = new Set(changed.map((r) => r.digest));
        await backupReferrers(Reference.of(registry.host, repository), dir, [...digests], client, jobs, report.referrers!, signal);
      }
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    report.error = errorSummary(err);
  }
  if (options.verify && !report.error) report.verify = await verifyLayout(dir, { signal });
  return report;
}

async function backupTag(
  registry: RegistrySpec, dir: string, repository: string, tag: string, head: Descriptor, current: Descriptor | undefined,
  now: Date, client: RegistryClient, jobs: number, changes: RefChange[], signal: AbortSignal | undefined, progress?: ImageProgress,
): Promise<BackupRefReport> {
  const ref = refName(repository, tag);
  if (current?.digest === head.digest) return { ref, digest: head.digest, action: 'unchanged' };
  try {
    await copy({ kind: 'registry', ref: Reference.of(registry.host, repository, undefined, head.digest) }, { kind: 'oci', dir, digest: head.digest }, { client, jobs, signal, ...progressFor(progress, `${registry.host}/${repository}:${tag}`) });
  } catch (err) {
    if (signal?.aborted) throw err;
    return { ref, digest: head.digest, action: 'failed', error: errorSummary(err) };
  }
  if (!current) {
    changes.push({ name: ref, target: head });
    return { ref, digest: head.digest, action: 'added' };
  }
  const historyRef = refName(repository, historyTag(tag, current.digest, now));
  changes.push({ name: ref, target: head, historyName: historyRef });
  return { ref, digest: head.digest, action: 'moved', previous: current.digest, historyRef };
}

/** Each backed-up digest's referrer tree into the layout, re-merged on every run (one digest at a time). */
async function backupReferrers(
  repo: Reference, dir: string, digests: string[], client: RegistryClient, jobs: number,
  totals: { copied: number; present: number; warnings: string[] }, signal: AbortSignal | undefined,
): Promise<void> {
  const src = registrySide(repo, client, signal);
  const dst = await layoutSide(dir, { create: true, signal, repository: repo.repository });
  const ledger = new BlobLedger();
  await carryEach(src, dst, digests, dst, { client, jobs, signal, ledger }, totals, 'kept', String(repo));
}
