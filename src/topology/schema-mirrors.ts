/**
 * The `mirrors:` section: which upstream tags each rule keeps in an archive registry (tags, regexes,
 * a semver range, newest N, platforms, pins, freeze). Only its shape is checked here (rules/ checks
 * the registries it names); regtopo mirror gives it behaviour.
 */
import * as z from 'zod';
import semver from 'semver';
import { isDigest } from '../ref/digest.js';
import { nameSchema, regexSchema, repositoryPathSchema, tagSchema } from './schema-fields.js';

const mirrorRuleSchema = z.strictObject({
  name: nameSchema,
  upstream: z.string().optional().describe('upstream name (default: dockerhub)'),
  repository: repositoryPathSchema.describe('repository on the upstream, e.g. library/alpine'),
  target: z.string().describe('archive registry name to mirror into'),
  path: repositoryPathSchema.optional().describe('repository in the archive (default: same as upstream)'),
  tags: z.array(tagSchema).optional(),
  include: z.array(regexSchema).optional().describe('tags matching any of these regular expressions'),
  exclude: z.array(regexSchema).optional().describe('minus tags matching any of these'),
  semver: z
    .string()
    .refine((r) => semver.validRange(r) !== null, { error: 'invalid semver range' })
    .optional()
    .describe('tags that are versions inside this range'),
  newest: z.int().min(1).optional().describe('keep only the N highest versions'),
  platforms: z
    .array(z.string().regex(/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/, { error: 'platform is os/arch[/variant], e.g. linux/arm64/v8' }))
    .optional(),
  pins: z
    .record(tagSchema, z.string().refine(isDigest, { error: 'pins map a tag to a digest (sha256:<64 hex>)' }))
    .optional()
    .describe('tag → digest the mirror must hold, whatever the upstream says'),
  freeze: z.boolean().optional().describe('never update tags already mirrored'),
});

export const mirrorsSchema = z.strictObject({
  rules: z.array(mirrorRuleSchema).optional(),
});

export type MirrorsSection = z.infer<typeof mirrorsSchema>;
export type MirrorRule = z.infer<typeof mirrorRuleSchema>;
