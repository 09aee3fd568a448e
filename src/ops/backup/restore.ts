/**
 * `restore(layout, target, options)`: the refs of a backup layout pushed back digest-exact into a
 * registry. The whole layout is verified first and nothing is sent if any content fails. Restore is
 * an explicit recovery action: it may write into prod (outside the topology's write authority),
 * and its report says so.
 */
import { progressFor, type ImageProgress } from '../image-progress.js';
import { resolve } from 'node:path';
import { errorSummary, RegtopoError, type ErrorCode } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import { RegistryClient } from '../../registry/registry-client.js';
import type { Role, Topology } from '../../topology/model.js';
import { copy } from '../copy.js';
import { clientForTopology } from '../topology-client.js';
import { writeOrder } from '../replicate/repository-tags.js';
import { readRefs, splitRefName } from './layout-refs.js';
import { verifyLayout, type LayoutVerification } from './verify-layout.js';
import { BlobLedger } from '../blob-ledger.js';
import { carryEach, isReferrerTag, layoutSide, registrySide } from '../referrers/index.js';
import { throwIfAborted } from '../../transport/abort.js';

export interface RestoreOptions {
  /** Resolves TARGET as a registry name, and configures the default client. */
  topology?: Topology;
  /** Only these repositories (as named in the layout). */
  repositories?: string[];
  dryRun?: boolean;
  jobs?: number;
  client?: RegistryClient;
  signal?: AbortSignal;
  /** Each tag's copy events, by image (the target's host/repository:tag); see ../image-progress.ts. */
  progress?: ImageProgress;
  /**
   * Restore each image's referrers the layout keeps (issue 14): by digest, merged into the target's
   * fallback tag (what the target lists already stays), cosign tags set unless the target holds
   * others. Default true; then the layout's fallback and cosign refs are not pushed as plain tags.
   */
  referrers?: boolean;
}

export type RestoreAction = 'restored' | 'in-sync' | 'would-restore' | 'failed';

export interface RestoreRefReport {
  ref: string;
  repository: string;
  tag: string;
  digest: string;
  action: RestoreAction;
  error?: { code: ErrorCode; message: string };
}

export interface RestoreReport {
  ok: boolean;
  dryRun: boolean;
  layout: string;
  target: { registry: string; name?: string; role?: Role };
  /** What kind of write this is, in words (restore may write into prod). */
  notice: string;
  verify: LayoutVerification;
  refs: RestoreRefReport[];
  /** Layout refs that are not `REPOSITORY:TAG` (another tool's), left out. */
  skipped: string[];
  /** Referrers restored with the images (see RestoreOptions.referrers). */
  referrers?: { copied: number; present: number; warnings: string[] };
}

export async function restore(layout: string, target: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const dir = resolve(layout.startsWith('oci:') ? layout.slice(4) : layout);
  const spec = options.topology?.registries[target];
  const host = spec?.host ?? target;
  try {
    Reference.of(host, 'probe');
  } catch {
    throw new RegtopoError('E_USAGE', `restore target "${target}" is neither a registry of the topology nor a host[:port]`);
  }
  const verify = await verifyLayout(dir, { signal: options.signal });
  if (!verify.ok) {
    throw new RegtopoError('E_DIGEST_MISMATCH', `${dir}: layout failed verification (${verify.mismatched.length} blobs do not match their digest, ${verify.missing.length} missing); nothing restored`);
  }
  const notice = spec
    ? `restore writes into "${spec.name}" (role ${spec.role}) at ${host}: an explicit recovery action, outside the topology's write authority`
    : `restore writes into ${host}`;
  const report: RestoreReport = { ok: true, dryRun: options.dryRun ?? false, layout: dir, target: { registry: host, ...(spec ? { name: spec.name, role: spec.role } : {}) }, notice, verify, refs: [], skipped: [] };
  const withReferrers = options.referrers !== false;
  if (withReferrers && !options.dryRun) report.referrers = { copied: 0, present: 0, warnings: [] };
  const wanted = options.repositories?.length ? new Set(options.repositories) : undefined;
  const byRepository = new Map<string, Map<string, string>>();
  for (const [name, desc] of await readRefs(dir)) {
    const parts = splitRefName(name);
    if (!parts) {
      report.skipped.push(name);
      continue;
    }
    if (wanted && !wanted.has(parts.repository)) continue;
    if (withReferrers && isReferrerTag(parts.tag)) continue;
    let tags = byRepository.get(parts.repository);
    if (!tags) byRepository.set(parts.repository, (tags = new Map()));
    tags.set(parts.tag, desc.digest);
  }
  const client = options.client ?? (options.topology ? clientForTopology(options.topology) : new RegistryClient());
  try {
    for (const repository of [...byRepository.keys()].sort()) {
      const tags = byRepository.get(repository)!;
      for (const tag of writeOrder(tags.keys())) {
        throwIfAborted(options.signal);
        const digest = tags.get(tag)!;
        const ref = `${repository}:${tag}`;
        try {
          const to = Reference.of(host, repository, tag);
          if (options.dryRun) {
            const held = await client.repository(to, { signal: options.signal }).headManifest(tag);
            report.refs.push({ ref, repository, tag, digest, action: held?.digest === digest ? 'in-sync' : 'would-restore' });
            continue;
          }
          const r = await copy({ kind: 'oci', dir, digest }, { kind: 'registry', ref: to }, { client, jobs: options.jobs, signal: options.signal, ...progressFor(options.progress, to.toString()) });
          report.refs.push({ ref, repository, tag, digest, action: r.upToDate ? 'in-sync' : 'restored' });
        } catch (err) {
          if (options.signal?.aborted) throw err;
          report.refs.push({ ref, repository, tag, digest, action: 'failed', error: errorSummary(err) });
        }
      }
      if (report.referrers) {
        const restored = new Set(report.refs.filter((r) => r.repository === repository && (r.action === 'restored' || r.action === 'in-sync')).map((r) => r.digest));
        await restoreReferrers(dir, Reference.of(host, repository), [...restored], client, options, report.referrers);
      }
    }
  } finally {
    if (!options.client) await client.close();
  }
  report.ok = report.refs.every((r) => r.action !== 'failed');
  return report;
}

async function restoreReferrers(
  dir: string, repo: Reference, digests: string[], client: RegistryClient, options: RestoreOptions,
  totals: { copied: number; present: number; warnings: string[] },
): Promise<void> {
  const { signal } = options;
  const src = await layoutSide(dir, { create: false, signal, repository: repo.repository });
  const dst = registrySide(repo, client, signal);
  const ledger = new BlobLedger();
  await carryEach(src, dst, digests, src, { client, jobs: options.jobs, signal, ledger }, totals, 'restored', String(repo));
}
