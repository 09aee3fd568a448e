/**
 * Referrers travel with an image: the referrer tree of each subject (the image and, for an index,
 * each child) is read in the source (discover.ts) and each referrer copied into the target by
 * digest with the copy engine (verified, byte-exact, sharing the run's client and ledger), parents
 * before children. Then, on a target without the referrers API, each subject's fallback tag is
 * merged (fallback-merge.ts); cosign's tags are set under the same names.
 *
 * cosign tags: cosign defines no merge of two `.sig` images, so a target that lacks the tag gets
 * the source's, one that holds the same digest is left alone, and one that holds another digest is
 * left as it is and reported as a conflict (its signatures may be ones the source never had).
 */
import { errorSummary, RegtopoError } from '../../errors.js';
import { parseManifest, type Descriptor, type RawManifest } from '../../registry/descriptor.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { throwIfAborted } from '../../transport/abort.js';
import type { Location } from '../../ref/location.js';
import type { BlobLedger } from '../blob-ledger.js';
import { copy } from '../copy.js';
import { discoverReferrers, flatten, type ReferrerLimits, type ReferrerNode } from './discover.js';
import { mergeFallbackTag } from './fallback-merge.js';
import type { ReferrerSide } from './side.js';

export interface ReferrerCopyResult {
  /** Referrer manifests written into the target (or cosign tags set there). */
  copied: number;
  /** Referrers the target held already. */
  present: number;
  /** Fallback tags rewritten in the target (entries added). */
  fallbackTags: number;
  /** cosign tags the target holds with other content: left as they are. */
  conflicts: string[];
  /** Everything skipped and why (invalid lists, subject mismatches, bounds, failed copies, lost merges). */
  warnings: string[];
}

export interface CarryOptions {
  client: RegistryClient;
  ledger?: BlobLedger;
  jobs?: number;
  signal?: AbortSignal;
  authorizeWrite?: (target: Location) => void | Promise<void>;
  limits?: Partial<ReferrerLimits>;
  /** Also regtopo's record tags about each digest (see discover.ts). */
  recordTags?: boolean;
  /** Write attempts per fallback tag merge. */
  mergeAttempts?: number;
  onWarning?: (message: string) => void;
}

export function emptyReferrerResult(): ReferrerCopyResult {
  return { copied: 0, present: 0, fallbackTags: 0, conflicts: [], warnings: [] };
}

/** The subjects whose referrers travel with `digest`: itself and, for an index, its children. */
export async function subjectsOf(side: ReferrerSide, digest: string, includeRoot = true, known?: RawManifest): Promise<string[]> {
  // `known`: the manifest's bytes, already read and verified by the caller (a copy that just wrote them).
  const raw = known?.digest === digest ? known : await side.store.getManifest(digest);
  const parsed = parseManifest(raw, `${side.description}@${digest}`);
  const children = parsed.kind === 'index' ? parsed.manifests.map((d) => d.digest) : [];
  return [...(includeRoot ? [digest] : []), ...new Set(children)];
}

/** What a run of carries adds up to (backup, restore): counts and one warning per failed digest. */
export interface ReferrerTotals {
  copied: number;
  present: number;
  warnings: string[];
}

/**
 * Carries the referrer tree of each digest in turn (subjects read from `subjectSide`, which holds
 * the image), adding to `totals`. A failed digest becomes a warning ("referrers not WHAT") and the
 * run goes on; an interruption ends it.
 */
export async function carryEach(
  src: ReferrerSide, dst: ReferrerSide, digests: Iterable<string>, subjectSide: ReferrerSide, options: CarryOptions,
  totals: ReferrerTotals, what: string, where: string,
): Promise<void> {
  for (const digest of digests) {
    throwIfAborted(options.signal);
    try {
      const r = await carryReferrers(src, dst, await subjectsOf(subjectSide, digest), options);
      totals.copied += r.copied;
      totals.present += r.present;
      totals.warnings.push(...r.warnings);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      totals.warnings.push(`${where}@${digest}: referrers not ${what} (${errorSummary(err).message})`);
    }
  }
}

export async function carryReferrers(src: ReferrerSide, dst: ReferrerSide, subjects: readonly string[], options: CarryOptions): Promise<ReferrerCopyResult> {
  const result = emptyReferrerResult();
  const warn = (m: string) => { result.warnings.push(m); options.onWarning?.(m); };
  const trees = await discoverReferrers(src, subjects, { limits: options.limits, warn, signal: options.signal, recordTags: options.recordTags });
  const nodes = flatten(trees);
  if (nodes.length === 0) return result;
  // Tag writes (cosign, records, fallback) go to the same repository as the copies: asked once, up front.
  await options.authorizeWrite?.(dst.at(subjects[0]!));
  const copied = new Set<string>();
  for (const node of nodes) {
    throwIfAborted(options.signal);
    // A referrer whose parent could not be copied would point at nothing in the target.
    if (node.subject !== undefined && !subjects.includes(node.subject) && !copied.has(node.subject)) continue;
    try {
      if (await carryOne(src, dst, node, options, result)) copied.add(node.digest);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      warn(`${src.description}@${node.digest}: referrer of ${node.subject} not copied (${errorSummary(err).message})`);
    }
  }
  await mergeFallbackTags(dst, nodes.filter((n) => (n.via === 'api' || n.via === 'fallback-tag') && copied.has(n.digest)), options, result, warn);
  return result;
}

/** Copies one referrer; true when the target holds it afterwards. */
async function carryOne(src: ReferrerSide, dst: ReferrerSide, node: ReferrerNode, options: CarryOptions, result: ReferrerCopyResult): Promise<boolean> {
  const tagged = node.via === 'cosign-tag' || node.via === 'record-tag';
  if (tagged) {
    const current = await dst.readTag(node.tag!);
    if (current?.digest === node.digest) {
      result.present++;
      return true;
    }
    if (current) {
      result.conflicts.push(node.tag!);
      const m = `${dst.description}:${node.tag}: holds ${current.digest}, the source ${node.digest}; cosign defines no merge, the target's is kept`;
      result.warnings.push(m);
      options.onWarning?.(m);
      return false;
    }
  }
  const r = await copy(src.at(node.digest), dst.at(node.digest), {
    client: options.client, jobs: options.jobs, signal: options.signal, referrers: false,
    ...(options.ledger && { ledger: options.ledger }), ...(options.authorizeWrite && { authorizeWrite: options.authorizeWrite }),
  });
  if (r.digest !== node.digest) throw new RegtopoError('E_DIGEST_MISMATCH', `referrer ${node.digest} arrived as ${r.digest}`);
  if (tagged) {
    await dst.writeTag(node.tag!, node.raw);
    result.copied++;
  } else if (r.upToDate) {
    result.present++;
  } else {
    result.copied++;
  }
  return true;
}

async function mergeFallbackTags(dst: ReferrerSide, listed: ReferrerNode[], options: CarryOptions, result: ReferrerCopyResult, warn: (m: string) => void): Promise<void> {
  const bySubject = new Map<string, Descriptor[]>();
  for (const n of listed) {
    let list = bySubject.get(n.subject);
    if (!list) bySubject.set(n.subject, (list = []));
    list.push(n.descriptor);
  }
  for (const [subject, wanted] of bySubject) {
    throwIfAborted(options.signal);
    if (await dst.hasReferrersApi(subject)) continue;
    const m = await mergeFallbackTag(dst, subject, wanted, { attempts: options.mergeAttempts, signal: options.signal });
    if (m.writes > 0) result.fallbackTags++;
    if (m.refused) warn(m.refused);
    if (m.lost > 0) warn(`${dst.description}: ${m.lost} entr${m.lost === 1 ? 'y' : 'ies'} of the fallback tag of ${subject} lost to a concurrent writer; the next run re-merges them`);
  }
}
