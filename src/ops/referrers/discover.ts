/**
 * The referrer tree of a digest in one store: what the referrers API or the fallback tag lists
 * (each entry's manifest read digest-verified and kept only when its `subject` names the digest it
 * was listed for), and cosign's `sha256-<hex>.sig|.att|.sbom` tags; then the same for every
 * referrer found (a signature of an SBOM). Registries are hostile: the walk is bounded in depth and
 * count, an oversized list is skipped whole, and nothing skipped is trusted, only reported.
 */
import { RegtopoError } from '../../errors.js';
import { parseManifest, type Descriptor, type ParsedManifest, type RawManifest } from '../../registry/descriptor.js';
import { throwIfAborted } from '../../transport/abort.js';
import { COSIGN_SUFFIXES, cosignTag, referrerKind, type CosignSuffix, type ReferrerKind } from './kinds.js';
import type { ReferrerSide } from './side.js';
import { parseRecordTag, subjectKey } from '../promotion/records.js';

export interface ReferrerNode {
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  kind: ReferrerKind;
  /** The digest this one refers to. */
  subject: string;
  /** How it was found: listed (API or fallback tag), under a cosign tag, or under a regtopo record tag. */
  via: 'api' | 'fallback-tag' | 'cosign-tag' | 'record-tag';
  /** The cosign or record tag it was found under. */
  tag?: string;
  /** The descriptor as listed (what a fallback tag in the target lists again). */
  descriptor: Descriptor;
  raw: RawManifest;
  children: ReferrerNode[];
}

export interface ReferrerLimits {
  /** Referrers of referrers of … this deep (1 = only direct referrers). */
  maxDepth: number;
  /** Referrers in one tree, all subjects together. */
  maxCount: number;
  /** Entries one list may hold; a longer list is skipped whole. */
  maxListEntries: number;
}

// A signature of an attestation of an SBOM is depth 3; nothing real goes deeper than a few levels,
// and a registry that lists more than this is one to stop reading from.
export const DEFAULT_REFERRER_LIMITS: ReferrerLimits = { maxDepth: 4, maxCount: 512, maxListEntries: 1000 };

export interface DiscoverOptions {
  limits?: Partial<ReferrerLimits>;
  warn?: (message: string) => void;
  signal?: AbortSignal;
  /**
   * Also regtopo's own records about each digest (promotion/records.ts): they are referrers with a
   * tag each (`rt<k>-<subject>-…`) and never in a fallback tag. Default false (promote syncs them).
   */
  recordTags?: boolean;
}

/** The referrer trees of each subject (an image and, for an index, its children), in order. */
export async function discoverReferrers(side: ReferrerSide, subjects: readonly string[], options: DiscoverOptions = {}): Promise<ReferrerNode[]> {
  const limits = { ...DEFAULT_REFERRER_LIMITS, ...options.limits };
  const warn = options.warn ?? (() => {});
  const seen = new Set<string>(subjects);
  let count = 0;
  let capped = false;
  const roots: ReferrerNode[] = [];
  let level: Array<{ subject: string; into: ReferrerNode[] }> = subjects.map((s) => ({ subject: s, into: roots }));
  for (let depth = 1; depth <= limits.maxDepth && level.length > 0; depth++) {
    const next: typeof level = [];
    for (const { subject, into } of level) {
      throwIfAborted(options.signal);
      for (const node of await referrersOf(side, subject, limits, warn, options.recordTags ?? false)) {
        if (seen.has(node.digest)) continue;
        if (count >= limits.maxCount) {
          if (!capped) warn(`${side.description}: more than ${limits.maxCount} referrers under ${subjects[0]}; the rest are left out`);
          capped = true;
          break;
        }
        seen.add(node.digest);
        count++;
        into.push(node);
        next.push({ subject: node.digest, into: node.children });
      }
    }
    if (depth === limits.maxDepth && next.length > 0) {
      const deeper = (await Promise.all(next.map((n) => referrersOf(side, n.subject, limits, () => {}, false)))).some((l) => l.length > 0);
      if (deeper) warn(`${side.description}: referrers deeper than ${limits.maxDepth} levels under ${subjects[0]} are left out`);
    }
    level = next;
  }
  return roots;
}

async function referrersOf(side: ReferrerSide, subject: string, limits: ReferrerLimits, warn: (m: string) => void, records: boolean): Promise<ReferrerNode[]> {
  const out: ReferrerNode[] = [];
  let invalid = 0;
  const listed = await side.list(subject, () => { invalid++; });
  if (listed.entries > limits.maxListEntries) {
    warn(`${side.description}: the referrers list of ${subject} has ${listed.entries} entries (over ${limits.maxListEntries}); skipped`);
  } else {
    if (invalid > 0) warn(`${side.description}: ${invalid} invalid entr${invalid === 1 ? 'y' : 'ies'} in the referrers list of ${subject} skipped`);
    const via = listed.via === 'api' ? 'api' : 'fallback-tag';
    for (const d of listed.referrers) {
      const node = await readNode(side, d, subject, via, undefined, warn);
      if (node) out.push(node);
    }
  }
  const tags = await side.tags();
  for (const suffix of COSIGN_SUFFIXES) {
    const tag = cosignTag(subject, suffix);
    if (!tags.has(tag)) continue;
    const raw = await side.readTag(tag);
    if (!raw) continue;
    const node = await readNode(side, { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length }, subject, 'cosign-tag', suffix, warn, raw);
    if (node && !out.some((n) => n.digest === node.digest)) out.push({ ...node, tag });
  }
  if (records) {
    const key = subjectKey(subject);
    for (const tag of [...tags].filter((t) => parseRecordTag(t)?.subjectKey === key).sort()) {
      const raw = await side.readTag(tag);
      const node = raw && (await readNode(side, { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length }, subject, 'record-tag', undefined, warn, raw));
      if (node && !out.some((n) => n.digest === node.digest)) out.push({ ...node, tag });
    }
  }
  return out;
}

async function readNode(
  side: ReferrerSide, d: Descriptor, subject: string, via: ReferrerNode['via'], suffix: CosignSuffix | undefined,
  warn: (m: string) => void, known?: RawManifest,
): Promise<ReferrerNode | undefined> {
  const where = `${side.description}@${d.digest}`;
  let raw: RawManifest;
  let parsed: ParsedManifest;
  try {
    raw = known ?? (await side.store.getManifest(d.digest));
    parsed = parseManifest(raw, where, d);
  } catch (err) {
    if (!(err instanceof RegtopoError)) throw err;
    warn(`${where}: referrer of ${subject} skipped (${err.message})`);
    return undefined;
  }
  // A listed referrer must say it refers to this subject; a cosign tag binds by its name, but a
  // subject it carries must agree.
  if ((via !== 'cosign-tag' || parsed.subject) && parsed.subject?.digest !== subject) {
    warn(`${where}: listed as a referrer of ${subject} but its subject is ${parsed.subject?.digest ?? 'absent'}; skipped`);
    return undefined;
  }
  const layerTypes = parsed.kind === 'image' ? parsed.layers.map((l) => l.mediaType) : parsed.manifests.map((m) => m.artifactType ?? m.mediaType);
  const artifactType = parsed.artifactType ?? d.artifactType ?? (parsed.kind === 'image' ? parsed.config.mediaType : undefined);
  const descriptor: Descriptor = {
    mediaType: parsed.mediaType, digest: raw.digest, size: raw.bytes.length,
    ...(artifactType && { artifactType }), ...(parsed.annotations && { annotations: parsed.annotations }),
  };
  return {
    digest: raw.digest, mediaType: parsed.mediaType, size: raw.bytes.length, ...(artifactType && { artifactType }),
    kind: referrerKind({ artifactType, layerTypes, cosignSuffix: suffix }), subject, via, descriptor, raw, children: [],
  };
}

/** Every node of the trees, parents before their children. */
export function flatten(nodes: readonly ReferrerNode[]): ReferrerNode[] {
  const out: ReferrerNode[] = [];
  const walk = (list: readonly ReferrerNode[]) => { for (const n of list) { out.push(n); walk(n.children); } };
  walk(nodes);
  return out;
}
