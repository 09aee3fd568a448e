/**
 * `restore(layout, target, options)`: the refs of a backup layout pushed back digest-exact into a
 * registry. The whole layout is verified first and nothing is sent if any content fails. Restore is
 * an explicit recovery action: it may write into prod (outside the topology's write authority),
 * and its report says so.
 */
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
  const wanted = options.repositories?.length ? new Set(options.repositories) : undefined;
  const byRepository = new Map<string, Map<string, string>>();
  for (const [name, desc] of await readRefs(dir)) {
    const parts = splitRefName(name);
    if (!parts) {
      report.skipped.push(name);
      continue;
    }
    if (wanted && !wanted.has(parts.repository)) continue;
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
          const r = await copy({ kind: 'oci', dir, digest }, { kind: 'registry', ref: to }, { client, jobs: options.jobs, signal: options.signal });
          report.refs.push({ ref, repository, tag, digest, action: r.upToDate ? 'in-sync' : 'restored' });
        } catch (err) {
          if (options.signal?.aborted) throw err;
          report.refs.push({ ref, repository, tag, digest, action: 'failed', error: errorSummary(err) });
        }
      }
    }
  } finally {
    if (!options.client) await client.close();
  }
  report.ok = report.refs.every((r) => r.action !== 'failed');
  return report;
}
