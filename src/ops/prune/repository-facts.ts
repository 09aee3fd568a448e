/**
 * What prune needs to know about one repository, read with as few requests as possible: each tag's
 * digest (one manifest GET), its time (regtopo's record tags carry their write time in the tag name,
 * so the first record of a digest costs nothing; otherwise the image config's `created`, one capped
 * blob read per distinct config), index children, and which digests promotion and approval records
 * are about (promotion records from tag names alone; approval decisions from their bodies).
 */
import pLimit from 'p-limit';
import { RegtopoError } from '../../errors.js';
import { parseManifest, type Descriptor, type ParsedManifest } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { readBounded } from '../../transport/bounded-body.js';
import type { ApprovalBody } from '../promotion/approval-state.js';
import { listRecords, parseRecordTag, subjectKey, type RecordKind } from '../promotion/records.js';
import { throwIfAborted } from '../../transport/abort.js';
import type { RepositoryFacts, TagFacts } from './decide.js';

/** Image configs are small JSON documents; one larger than a manifest may be is not read for a date. */
const CONFIG_LIMIT = 4 << 20;
/** Indexes inside indexes: deeper nesting is not something registries hold in practice. */
const MAX_DEPTH = 3;

export interface RecordTag {
  tag: string;
  kind: RecordKind;
  time: number;
}

export interface GatheredFacts extends RepositoryFacts {
  /** Record tags by subject key (subjectKey(digest)), to delete with their digest. */
  records: Map<string, RecordTag[]>;
}

interface DigestInfo {
  created?: number;
  children: string[];
}

export async function gatherFacts(
  repo: RegistryRepository,
  allTags: string[],
  options: { stageTags: ReadonlySet<string>; pendingApproval: ReadonlySet<string>; jobs: number; signal?: AbortSignal },
): Promise<GatheredFacts> {
  const records = new Map<string, RecordTag[]>();
  const imageTags: string[] = [];
  for (const tag of allTags) {
    const parsed = parseRecordTag(tag);
    if (!parsed) {
      imageTags.push(tag);
      continue;
    }
    const list = records.get(parsed.subjectKey) ?? [];
    list.push({ tag, kind: parsed.kind, time: parsed.time });
    records.set(parsed.subjectKey, list);
  }

  const limit = pLimit(options.jobs);
  const infos = new Map<string, Promise<DigestInfo>>();
  const describe = (digest: string, manifest: ParsedManifest | undefined, depth: number): Promise<DigestInfo> => {
    let info = infos.get(digest);
    if (!info) infos.set(digest, (info = describeDigest(repo, digest, manifest, depth, describe, limit)));
    return info;
  };

  const resolved = await Promise.all(imageTags.map((tag) => limit(async () => {
    throwIfAborted(options.signal);
    try {
      const raw = await repo.getManifest(tag);
      return { tag, digest: raw.digest, manifest: parseOrUndefined(raw, `${repo.description}:${tag}`) };
    } catch (err) {
      // Deleted since the tag list was read: nothing to decide about.
      if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return undefined;
      throw err;
    }
  })));
  const present = resolved.filter((r): r is NonNullable<typeof r> => r !== undefined);
  // Outside the limiter: describe() queues its own requests on it, and waiting inside would deadlock.
  const described = await Promise.all(present.map((r) => describe(r.digest, r.manifest, 0)));

  const children = new Map<string, string[]>();
  for (const [digest, info] of infos) if (info) children.set(digest, (await info).children);

  const tags: TagFacts[] = present.map((r, i) => {
    const recorded = firstRecordTime(records.get(subjectKey(r.digest)));
    const created = described[i]!.created;
    const time = recorded ?? created;
    return { tag: r.tag, digest: r.digest, ...(time !== undefined && { time, timeSource: recorded !== undefined ? 'record' as const : 'created' as const }) };
  }).sort((a, b) => a.tag.localeCompare(b.tag));

  const promoted = new Set<string>();
  const approvalSubjects = new Set<string>();
  for (const t of tags) {
    const kinds = new Set((records.get(subjectKey(t.digest)) ?? []).map((r) => r.kind));
    if (kinds.has('promotion')) promoted.add(t.digest);
    if (kinds.has('approval')) approvalSubjects.add(t.digest);
  }
  const pendingApproval = new Set([...options.pendingApproval].filter((d) => tags.some((t) => t.digest === d)));
  if (approvalSubjects.size > 0) {
    throwIfAborted(options.signal);
    // Only a digest whose every decision is a rejection has nothing waiting on it; an unknown body
    // shape (another version's record) protects too.
    const decisions = await listRecords<ApprovalBody>(repo, 'approval', undefined, allTags);
    for (const r of decisions) if (approvalSubjects.has(r.subject) && r.body?.decision !== 'rejected') pendingApproval.add(r.subject);
  }
  return { tags, children, stageTags: options.stageTags, promoted, pendingApproval, records };
}

function firstRecordTime(list: RecordTag[] | undefined): number | undefined {
  if (!list?.length) return undefined;
  return Math.min(...list.map((r) => r.time));
}

function parseOrUndefined(raw: Parameters<typeof parseManifest>[0], where: string): ParsedManifest | undefined {
  try {
    return parseManifest(raw, where);
  } catch (err) {
    // A manifest regtopo cannot read (schema 1, unknown type) has no time: it is kept as no-age.
    if (err instanceof RegtopoError && (err.code === 'E_MANIFEST_UNSUPPORTED' || err.code === 'E_MANIFEST_INVALID')) return undefined;
    throw err;
  }
}

type Describe = (digest: string, manifest: ParsedManifest | undefined, depth: number) => Promise<DigestInfo>;

/** An image's config `created`; an index's children and the newest `created` among them. */
async function describeDigest(
  repo: RegistryRepository, digest: string, known: ParsedManifest | undefined, depth: number, describe: Describe, limit: ReturnType<typeof pLimit>,
): Promise<DigestInfo> {
  let manifest = known;
  if (!manifest) {
    if (depth === 0) return { children: [] };
    const raw = await limit(() => repo.getManifest(digest).catch((err: unknown) => {
      if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return undefined;
      throw err;
    }));
    if (!raw) return { children: [] };
    manifest = parseOrUndefined(raw, `${repo.description}@${digest}`);
    if (!manifest) return { children: [] };
  }
  if (manifest.kind === 'image') {
    // Artifacts (empty config) carry no creation time.
    if (manifest.artifactType || manifest.config.size > CONFIG_LIMIT || manifest.config.size <= 2) return { children: [] };
    const created = await limit(() => configCreated(repo, manifest.config));
    return { children: [], ...(created !== undefined && { created }) };
  }
  const children = manifest.manifests.map((m) => m.digest);
  if (depth >= MAX_DEPTH) return { children };
  const infos = await Promise.all(children.map((c) => describe(c, undefined, depth + 1)));
  const times = infos.map((i) => i.created).filter((t): t is number => t !== undefined);
  return { children, ...(times.length && { created: Math.max(...times) }) };
}

async function configCreated(repo: RegistryRepository, config: Descriptor): Promise<number | undefined> {
  const what = `config ${config.digest} of ${repo.description}`;
  let bytes: Buffer;
  try {
    bytes = await readBounded(await repo.openBlob(config), CONFIG_LIMIT, what);
  } catch (err) {
    // A config the registry lost gives no date: the image is kept (no-age), never guessed old.
    if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const created = (doc as { created?: unknown } | null)?.created;
  if (typeof created !== 'string') return undefined;
  const time = Date.parse(created);
  // Reproducible builds (ko, Bazel, Nix) write the epoch: that is "no date", not "56 years old".
  return Number.isNaN(time) || time <= 0 ? undefined : time;
}
