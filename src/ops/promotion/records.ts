/**
 * The record store: statuses, approvals and promotions kept in the registry next to the image they
 * describe, as small OCI artifacts (empty config, one JSON layer, `subject` = the image).
 *
 * There is no read-modify-write anywhere: every record gets its own tag
 * `rt<k>-<subject hex>-<name hash>-<time>-<random>`, so concurrent writers never touch the same
 * object and never lose each other's records, on registries with or without the referrers API.
 * Listing is a tag list filtered by prefix; each record is read by digest-verified GETs.
 *
 * Reading trusts nothing a writer controls: a record whose manifest is not a record of its kind,
 * whose payload is too large or not JSON, or whose body fails its schema (record-schemas.ts) is
 * reported to `onInvalid` and left out, so one bad tag neither stops a reader nor counts as evidence.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { RegtopoError } from '../../errors.js';
import { digestOf, digestHex } from '../../ref/digest.js';
import { parseManifest, type Descriptor } from '../../registry/descriptor.js';
import { MediaType } from '../../registry/media-types.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { listReferrers } from '../../registry/referrers.js';
import { BODY_LIMITS, readBounded } from '../../transport/bounded-body.js';

export type RecordKind = 'status' | 'approval' | 'promotion';

export const RECORD_ARTIFACT_TYPE: Record<RecordKind, string> = {
  status: 'application/vnd.regtopo.status.v1+json',
  approval: 'application/vnd.regtopo.approval.v1+json',
  promotion: 'application/vnd.regtopo.promotion.v1+json',
};

const KIND_LETTER: Record<RecordKind, string> = { status: 's', approval: 'a', promotion: 'p' };
const LETTER_KIND: Record<string, RecordKind> = { s: 'status', a: 'approval', p: 'promotion' };

const EMPTY_JSON = Buffer.from('{}');
const EMPTY_DESCRIPTOR: Descriptor = { mediaType: MediaType.OciEmpty, digest: digestOf(EMPTY_JSON), size: EMPTY_JSON.length };
const RECORD_TAG = /^rt([sap])-([a-f0-9]{64})-([a-f0-9]{8})-([a-z0-9]{13})-([a-f0-9]{6})$/;
const READ_JOBS = 8;

/** One record as read back: where it lives, what it is about, and its JSON body. */
export interface StoredRecord<T> {
  kind: RecordKind;
  /** The record's regtopo tag; '' for a record found only as a referrer. */
  tag: string;
  /** The record artifact's manifest digest: the evidence other records cite. */
  digest: string;
  /** The image digest the record is about. */
  subject: string;
  /** Milliseconds since the epoch, from the tag (the write time). */
  time: number;
  body: T;
}

/** 64 hex chars naming the subject in tags: its sha256 hex, or a sha256 of a longer digest. */
export function subjectKey(digest: string): string {
  const hex = digestHex(digest);
  return hex.length === 64 && digest.startsWith('sha256:') ? hex : createHash('sha256').update(digest).digest('hex');
}

/** Tag prefix shared by the records of one kind (and optionally one subject). */
export function recordTagPrefix(kind: RecordKind, subject?: string): string {
  return `rt${KIND_LETTER[kind]}-${subject ? `${subjectKey(subject)}-` : ''}`;
}

export function isRecordTag(tag: string): boolean {
  return RECORD_TAG.test(tag);
}

/** A fresh, unique tag for a record; < 128 characters, sortable by time within one name. */
export function newRecordTag(kind: RecordKind, subject: string, name: string, now: number = Date.now()): string {
  const nameHash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const time = now.toString(36).padStart(13, '0');
  return `${recordTagPrefix(kind, subject)}${nameHash}-${time}-${randomBytes(3).toString('hex')}`;
}

export function parseRecordTag(tag: string): { kind: RecordKind; subjectKey: string; time: number } | undefined {
  const m = RECORD_TAG.exec(tag);
  if (!m) return undefined;
  return { kind: LETTER_KIND[m[1]!]!, subjectKey: m[2]!, time: parseInt(m[4]!, 36) };
}

/** A record left out while reading, and why (for the reader's warnings). */
export interface InvalidRecord {
  kind: RecordKind;
  /** host/repo:tag (or @digest for a referrer) of the record. */
  where: string;
  problem: string;
}

export interface ReadRecordsOptions {
  /** Told about each record left out as malformed; default: left out silently. */
  onInvalid?: (invalid: InvalidRecord) => void;
}

/** The warning line for a record left out, as plan, status and the other readers show it. */
export function invalidRecordWarning(invalid: InvalidRecord): string {
  return `ignored malformed ${invalid.kind} record ${invalid.where}: ${invalid.problem}`;
}

export interface WriteRecordOptions {
  now?: number;
  /** Short key fields shown by registry UIs (io.regtopo.name / io.regtopo.value). */
  name: string;
  value?: string;
}

/** Pushes one record next to `subject` in `repo` under a new unique tag. */
export async function writeRecord<T extends object>(
  repo: RegistryRepository, subject: Descriptor, kind: RecordKind, body: T, options: WriteRecordOptions,
): Promise<StoredRecord<T>> {
  const now = options.now ?? Date.now();
  const artifactType = RECORD_ARTIFACT_TYPE[kind];
  const payload = Buffer.from(`${JSON.stringify(body)}\n`);
  const layer: Descriptor = { mediaType: artifactType, digest: digestOf(payload), size: payload.length };
  const annotations: Record<string, string> = {
    'org.opencontainers.image.created': new Date(now).toISOString(),
    'io.regtopo.name': options.name,
  };
  if (options.value !== undefined) annotations['io.regtopo.value'] = options.value;
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType,
    config: EMPTY_DESCRIPTOR,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const tag = newRecordTag(kind, subject.digest, options.name, now);
  const raw = { bytes, mediaType: MediaType.OciManifest, digest: digestOf(bytes) };
  await Promise.all([pushBlob(repo, EMPTY_DESCRIPTOR, EMPTY_JSON), pushBlob(repo, layer, payload)]);
  await repo.putManifest(tag, raw);
  return { kind, tag, digest: raw.digest, subject: subject.digest, time: now, body };
}

async function pushBlob(repo: RegistryRepository, desc: Descriptor, bytes: Buffer): Promise<void> {
  if (await repo.hasBlob(desc)) return;
  await repo.putBlob(desc, async () => Readable.from([bytes]));
}

/** The repository's tags; an absent repository has none. */
export async function tagsOf(repo: RegistryRepository): Promise<string[]> {
  try {
    return await repo.listTags();
  } catch (err) {
    if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return [];
    throw err;
  }
}

/** Record tags of one kind (all subjects, or one), from a tag list already fetched or fetched now. */
export async function listRecordTags(repo: RegistryRepository, kind: RecordKind, subject?: string, tags?: string[]): Promise<string[]> {
  const prefix = recordTagPrefix(kind, subject);
  return (tags ?? (await tagsOf(repo))).filter((t) => t.startsWith(prefix) && isRecordTag(t));
}

/** Reads records by tag, oldest first; each is checked to be the kind and subject its tag says. */
export async function readRecords<T>(repo: RegistryRepository, tags: string[], options: ReadRecordsOptions = {}): Promise<StoredRecord<T>[]> {
  const limit = pLimit(READ_JOBS);
  const read = await Promise.all(tags.map((tag) => limit(() => readRecord<T>(repo, tag, options))));
  return read.filter((r): r is StoredRecord<T> => r !== undefined).sort((a, b) => a.time - b.time || a.tag.localeCompare(b.tag));
}

async function readRecord<T>(repo: RegistryRepository, tag: string, options: ReadRecordsOptions): Promise<StoredRecord<T> | undefined> {
  const parsedTag = parseRecordTag(tag);
  if (!parsedTag) return undefined;
  return readRecordAt<T>(repo, tag, parsedTag, tag, options);
}

/** A record's content that cannot be one: reported and left out, never thrown (see the module comment). */
class NotARecord extends Error {}

/** What a record read must be: its kind, the subject key its tag names, and (from the tag) its time. */
interface Expected {
  kind: RecordKind;
  subjectKey: string;
  time?: number;
}

/**
 * Reads one record by tag or digest, checking it is the kind and subject expected. A record found
 * through referrers has no regtopo tag: its time comes from its `created` annotation instead.
 */
async function readRecordAt<T>(repo: RegistryRepository, reference: string, expected: Expected, tag: string, options: ReadRecordsOptions): Promise<StoredRecord<T> | undefined> {
  const where = `${repo.description}${tag ? ':' : '@'}${reference}`;
  try {
    return await readRecordContent<T>(repo, reference, expected, tag, where);
  } catch (err) {
    if (err instanceof NotARecord) {
      options.onInvalid?.({ kind: expected.kind, where, problem: err.message });
      return undefined;
    }
    throw err;
  }
}

async function readRecordContent<T>(repo: RegistryRepository, reference: string, expected: Expected, tag: string, where: string): Promise<StoredRecord<T> | undefined> {
  let raw;
  try {
    raw = await repo.getManifest(reference);
  } catch (err) {
    // Deleted between listing and reading: not an error for a reader.
    if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
  let parsed;
  try {
    parsed = parseManifest(raw, where);
  } catch (err) {
    if (err instanceof RegtopoError && (err.code === 'E_MANIFEST_INVALID' || err.code === 'E_MANIFEST_UNSUPPORTED')) throw new NotARecord('manifest is not an OCI image manifest');
    throw err;
  }
  const artifactType = RECORD_ARTIFACT_TYPE[expected.kind];
  const layer = parsed.kind === 'image' ? parsed.layers[0] : undefined;
  if (parsed.artifactType !== artifactType || !parsed.subject || !layer || layer.mediaType !== artifactType) {
    throw new NotARecord(`not a regtopo ${expected.kind} record (artifact type, subject or payload layer)`);
  }
  if (subjectKey(parsed.subject.digest) !== expected.subjectKey) {
    throw new NotARecord(`record subject ${parsed.subject.digest} does not match its tag`);
  }
  if (layer.size > BODY_LIMITS.record) throw new NotARecord(`payload of ${layer.size} bytes exceeds the ${BODY_LIMITS.record}-byte record limit`);
  const bytes = await readBounded(await repo.openBlob(layer), BODY_LIMITS.record, `${where} payload`, { code: 'E_MANIFEST_INVALID' });
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new NotARecord('payload is not JSON');
  }
  // Loaded here, not at the top: the schemas are zod's, and a copy, which carries records as
  // referrers without reading them, would otherwise build them at every start (~7 ms on Node 20).
  const { parseRecordBody } = await import('./record-schemas.js');
  const body = parseRecordBody(expected.kind, json);
  if (!body.ok) throw new NotARecord(body.problem);
  const time = expected.time ?? Date.parse(parsed.annotations?.['org.opencontainers.image.created'] ?? '');
  if (Number.isNaN(time)) throw new NotARecord('no creation time');
  return { kind: expected.kind, tag, digest: raw.digest, subject: parsed.subject.digest, time, body: body.body as T };
}

/** Every record of `kind` about `subject` (or about any subject) in `repo`, oldest first. */
export async function listRecords<T>(repo: RegistryRepository, kind: RecordKind, subject?: string, tags?: string[], options: ReadRecordsOptions = {}): Promise<StoredRecord<T>[]> {
  const tagged = await readRecords<T>(repo, await listRecordTags(repo, kind, subject, tags), options);
  if (!subject) return tagged;
  const extra = await untaggedReferrers<T>(repo, kind, subject, new Set(tagged.map((r) => r.digest)), options);
  if (extra.length === 0) return tagged;
  return [...tagged, ...extra].sort((a, b) => a.time - b.time || a.digest.localeCompare(b.digest));
}

/**
 * Records the registry lists as referrers of `subject` (the referrers API, or the OCI fallback tag)
 * that carry no regtopo tag, e.g. because another tool copied the image with its referrers.
 * Distribution 2.8 has neither, which costs two 404s.
 */
async function untaggedReferrers<T>(repo: RegistryRepository, kind: RecordKind, subject: string, known: Set<string>, options: ReadRecordsOptions): Promise<StoredRecord<T>[]> {
  const { referrers } = await listReferrers(repo, subject, RECORD_ARTIFACT_TYPE[kind]);
  const fresh = referrers.filter((d) => !known.has(d.digest));
  const limit = pLimit(READ_JOBS);
  const read = await Promise.all(fresh.map((d) => limit(() => readRecordAt<T>(repo, d.digest, { kind, subjectKey: subjectKey(subject) }, '', options))));
  return read.filter((r): r is StoredRecord<T> => r !== undefined);
}
