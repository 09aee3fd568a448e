/**
 * Statuses: the build-data record (`unit-tests=passed`, `security-scan=waived`) kept next to the
 * image digest as one record each. Setting resolves the reference once; the newest record per name
 * is the current value, and every older one stays readable as history.
 */
import { RegtopoError } from '../../errors.js';
import type { Reference } from '../../ref/reference.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { actor, authorizePromotionWrite, nowOf, parseRef, resolveDescriptor, type PromotionContext } from './context.js';
import { listRecords, writeRecord, type StoredRecord } from './records.js';

/** The JSON body of a status record. */
export interface StatusBody {
  kind: 'status';
  subject: string;
  name: string;
  value: string;
  detail?: string;
  url?: string;
  by: string;
  at: string;
}

export interface StatusEntry extends Omit<StatusBody, 'kind' | 'subject'> {
  /** Digest of the status record: what gates cite as evidence. */
  record: string;
  tag: string;
}

export interface SetStatusOptions extends Omit<PromotionContext, 'topology'> {
  /** When given, the write must be one its write authority allows (promotion writes). */
  topology?: PromotionContext['topology'];
  detail?: string;
  url?: string;
}

export interface SetStatusResult {
  ref: string;
  digest: string;
  status: StatusEntry;
}

const STATUS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export async function setStatus(ref: string | Reference, name: string, value: string, options: SetStatusOptions): Promise<SetStatusResult> {
  if (!STATUS_NAME.test(name)) throw new RegtopoError('E_USAGE', `invalid status name "${name}": letters, digits, "_", "." and "-"`);
  if (value.length === 0 || value.length > 200) throw new RegtopoError('E_USAGE', `status ${name}: value must be 1 to 200 characters`);
  const reference = parseRef(ref);
  authorizePromotionWrite(options.topology, reference);
  const repo = options.client.repository(reference);
  // Resolved once: the record is about this digest even if the tag moves while we write.
  const subject = await resolveDescriptor(repo, reference.reference);
  const now = nowOf(options as PromotionContext);
  const body: StatusBody = {
    kind: 'status', subject: subject.digest, name, value,
    ...(options.detail ? { detail: options.detail } : {}),
    ...(options.url ? { url: options.url } : {}),
    by: actor(options as PromotionContext), at: new Date(now).toISOString(),
  };
  const stored = await writeRecord(repo, subject, 'status', body, { name, value, now });
  return { ref: reference.pinned(subject.digest).toString(), digest: subject.digest, status: entryOf(stored) };
}

export interface StatusesResult {
  ref: string;
  digest: string;
  /** Newest record per name, sorted by name. */
  current: StatusEntry[];
  /** Every record, oldest first. */
  history: StatusEntry[];
}

export async function getStatuses(ref: string | Reference, options: Pick<PromotionContext, 'client'>): Promise<StatusesResult> {
  const reference = parseRef(ref);
  const repo = options.client.repository(reference);
  const subject = await resolveDescriptor(repo, reference.reference);
  const { current, history } = await statusesOf(repo, subject.digest);
  return { ref: reference.pinned(subject.digest).toString(), digest: subject.digest, current, history };
}

/** Statuses of `digest` in `repo`; pass `tags` when the tag list is already at hand. */
export async function statusesOf(repo: RegistryRepository, digest: string, tags?: string[]): Promise<{ current: StatusEntry[]; history: StatusEntry[] }> {
  const records = await listRecords<StatusBody>(repo, 'status', digest, tags);
  const history = records.filter((r) => r.body.kind === 'status' && typeof r.body.name === 'string').map(entryOf);
  return { current: currentStatuses(history), history };
}

/** Newest entry per name (history is oldest first, so later entries win). */
export function currentStatuses(history: StatusEntry[]): StatusEntry[] {
  const byName = new Map<string, StatusEntry>();
  for (const e of history) byName.set(e.name, e);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function entryOf(r: StoredRecord<StatusBody>): StatusEntry {
  const b = r.body;
  return {
    name: b.name, value: String(b.value), ...(b.detail ? { detail: b.detail } : {}), ...(b.url ? { url: b.url } : {}),
    by: b.by, at: b.at, record: r.digest, tag: r.tag,
  };
}
