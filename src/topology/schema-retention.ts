/**
 * The `retention:` field of a sandbox or CI registry: which tags `regtopo prune` may delete. A tag is
 * eligible when it is outside the newest `keepNewest` of its repository AND older than `olderThan`
 * AND matches no `keep` regex; every part is optional (an absent part does not restrict). Only the
 * shape is checked here; the role rule lives in rules/retention.ts.
 */
import * as z from 'zod';
import { regexSchema } from './schema-fields.js';

const DURATION_PATTERN = /^([1-9][0-9]{0,5})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d` → milliseconds; undefined for anything that is not `<n><s|m|h|d|w>`. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_PATTERN.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

export const durationSchema = z.string().regex(DURATION_PATTERN, {
  error: 'a duration is a number and a unit: s, m, h, d or w (e.g. 30d, 12h)',
});

export const retentionSchema = z
  .strictObject({
    keepNewest: z.int().min(0).max(100_000).optional().describe('never delete the N newest tags of each repository'),
    olderThan: durationSchema.optional().describe('only tags older than this (e.g. 30d, 12h) are eligible; age comes from regtopo records or the image config `created`'),
    keep: z.array(regexSchema).optional().describe('tags matching any of these regular expressions are never deleted, e.g. ^v\\d'),
  })
  .describe('sandbox and ci only: what `regtopo prune` may delete (a tag must be outside keepNewest, older than olderThan and match no keep regex)');

export type RetentionFileEntry = z.infer<typeof retentionSchema>;
