/**
 * What a signature over a record covers: a canonical JSON rendering of the fields that carry the
 * record's meaning, in a fixed key order, prefixed with a type tag so an approval's bytes can never
 * read as a status's. The SSHSIG namespace separates them a second time (and separates both from
 * git commit signatures made with the same key).
 */
import type { ApprovalBody } from './approval-state.js';
import type { StatusBody } from './statuses.js';

export const APPROVAL_NAMESPACE = 'regtopo-approval';
export const STATUS_NAMESPACE = 'regtopo-status';

/** The decision, the stage and the plan hash together, with the image digest they are about. */
export function approvalMessage(b: Pick<ApprovalBody, 'image' | 'stage' | 'subject' | 'planHash' | 'decision' | 'at' | 'comment' | 'date'>): Buffer {
  return canonical(['regtopo-approval/v1', b.image, b.stage, b.subject, b.planHash, b.decision, b.at, b.comment ?? null, b.date ?? null]);
}

/** The status value for one digest, and the records it replaces (its place in the order of writes). */
export function statusMessage(b: Pick<StatusBody, 'subject' | 'name' | 'value' | 'detail' | 'url' | 'at' | 'supersedes'>): Buffer {
  return canonical(['regtopo-status/v1', b.subject, b.name, b.value, b.detail ?? null, b.url ?? null, b.at, [...(b.supersedes ?? [])].sort()]);
}

// A JSON array: positional, so there is no key order to disagree about.
function canonical(fields: unknown[]): Buffer {
  return Buffer.from(JSON.stringify(fields), 'utf8');
}
