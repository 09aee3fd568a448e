/**
 * What a record body must look like to be read at all: one zod schema per kind. Anyone who can push
 * to a repository can write a tag that looks like a record, so a body is parsed, never cast: a field
 * of the wrong type, a missing field or an oversized value makes the record invalid, and readers
 * report it and leave it out (records.ts). Unknown fields are dropped, not kept: a newer writer's
 * additions do not invalidate its records, and nothing unvalidated reaches a caller.
 *
 * Limits follow what the writers enforce (statuses.ts: names, 1–200 character values) or bound what
 * a genuine record never approaches (a signature, a list of evidence digests).
 */
import * as z from 'zod';
import { isDigest } from '../../ref/digest.js';
import type { ApprovalBody } from './approval-state.js';
import type { PromotionBody } from './promotion-record.js';
import type { RecordKind } from './records.js';
import type { StatusBody } from './statuses.js';

/** An SSHSIG armored signature is well under 1 KiB; 16 KiB leaves room for large RSA keys. */
const SIGNATURE_MAX = 16 << 10;
/** Free text (details, comments, hook output): readable in a terminal, far below the payload cap. */
const TEXT_MAX = 64 << 10;
/** Names, actors, stage and image names, timestamps, refs. */
const SHORT_MAX = 1024;
/** Digests a record cites (evidence, approvals, superseded records): thousands at most. */
const LIST_MAX = 10_000;

const digest = z.string().max(SHORT_MAX).refine(isDigest, 'not a digest');
const short = z.string().max(SHORT_MAX);
const text = z.string().max(TEXT_MAX);
const timestamp = z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp');
const signature = z.string().max(SIGNATURE_MAX);

export const statusBodySchema = z.object({
  kind: z.literal('status'),
  subject: digest,
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'not a status name'),
  value: z.string().min(1).max(200),
  detail: text.optional(),
  url: z.string().max(4096).optional(),
  by: short,
  at: timestamp,
  supersedes: z.array(digest).max(LIST_MAX).optional(),
  signature: signature.optional(),
});

export const approvalBodySchema = z.object({
  kind: z.literal('approval'),
  subject: digest,
  image: short,
  stage: short,
  planHash: digest,
  decision: z.enum(['approved', 'rejected']),
  by: short,
  at: timestamp,
  comment: text.optional(),
  date: z.string().regex(/^\d{8}$/, 'not a YYYYMMDD date').optional(),
  version: short.optional(),
  signature: signature.optional(),
  hook: z.object({
    type: z.enum(['command', 'webhook']),
    output: text.optional(),
    exitCode: z.number().int().optional(),
    status: z.number().int().optional(),
  }).optional(),
});

export const promotionBodySchema = z.object({
  kind: z.literal('promotion'),
  subject: digest,
  image: short,
  stage: short,
  from: short,
  to: short,
  source: short,
  sourceTag: short.optional(),
  targets: z.array(short).max(LIST_MAX),
  planHash: digest,
  // Records written before these were recorded lack them: read as "none".
  evidence: z.array(digest).max(LIST_MAX).default([]),
  approvals: z.array(digest).max(LIST_MAX).default([]),
  approvedBy: z.array(short).max(LIST_MAX).default([]),
  version: short.optional(),
  by: short,
  at: timestamp,
});

export const RECORD_SCHEMAS: Record<RecordKind, z.ZodType> = {
  status: statusBodySchema,
  approval: approvalBodySchema,
  promotion: promotionBodySchema,
};

/** Validates `body` as a `kind` record: the parsed body, or why it is not one (first problem, no values echoed). */
export function parseRecordBody(kind: RecordKind, body: unknown): { ok: true; body: unknown } | { ok: false; problem: string } {
  const parsed = RECORD_SCHEMAS[kind].safeParse(body);
  if (parsed.success) return { ok: true, body: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length ? issue.path.map(String).join('.') : 'body';
  return { ok: false, problem: `${path}: ${issue.message}`.slice(0, 200) };
}

// The schemas and the body types must describe the same records: a drift either way is a type error
// here (a field the type gained but the schema lacks would be stripped from every record read).
type Agrees<Schema extends z.ZodType, Body> = [z.output<Schema>] extends [Body] ? ([Exclude<keyof Body, keyof z.output<Schema>>] extends [never] ? true : never) : never;
const agree: [Agrees<typeof statusBodySchema, StatusBody>, Agrees<typeof approvalBodySchema, ApprovalBody>, Agrees<typeof promotionBodySchema, PromotionBody>] = [true, true, true];
void agree;
