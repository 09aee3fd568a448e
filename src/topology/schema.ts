/**
 * The schema of registries.yaml (version 1), as zod 4 objects. Every object is strict so a typo is
 * an error rather than a silently ignored setting. Defaults are not applied here (normalise.ts does
 * that in one place), so the JSON Schema export describes exactly what a person may write.
 */
import * as z from 'zod';
import { credentialsSchema, endpointUrlSchema, keySpecSchema, nameSchema, repositoryPathSchema, tlsFields } from './schema-fields.js';
import { mirrorsSchema } from './schema-mirrors.js';
import { promotionSchema } from './schema-promotion.js';
import { retentionSchema } from './schema-retention.js';

export const ROLES = ['sandbox', 'ci', 'prod', 'replica', 'archive'] as const;
export type Role = (typeof ROLES)[number];

export const registrySchema = z.strictObject({
  role: z.enum(ROLES).describe('what this registry is for; decides who may write to it'),
  url: endpointUrlSchema,
  namespace: repositoryPathSchema.optional().describe('path prefix every repository of this registry lives under'),
  ...tlsFields,
  credentials: credentialsSchema.optional(),
  limits: z
    .strictObject({ concurrency: z.int().min(1).max(64).optional().describe('parallel requests to this registry') })
    .optional(),
  replicas: z.array(z.string()).optional().describe('prod only: registry names replicated from this one'),
  backup: z
    .strictObject({
      target: z
        .string()
        .min(1)
        .refine((t) => !t.startsWith('oci:') || t.length > 4, { error: 'an oci: backup target needs a directory, e.g. oci:./backup' })
        .describe('oci:DIR (an OCI image layout) or a registry name'),
    })
    .optional(),
  replicaOf: z.string().optional().describe('replica only: the prod registry this one copies'),
  retention: retentionSchema.optional(),
  description: z.string().optional(),
});

export const upstreamSchema = z.strictObject({
  url: endpointUrlSchema,
  ...tlsFields,
  credentials: credentialsSchema.optional(),
  description: z.string().optional(),
});

/** What an environment may change: where things are and how to reach them, never their roles. */
const endpointOverrideSchema = z.strictObject({
  url: endpointUrlSchema.optional(),
  credentials: credentialsSchema.optional(),
  ...tlsFields,
});

export const environmentSchema = z.strictObject({
  description: z.string().optional(),
  registries: z.record(nameSchema, endpointOverrideSchema).optional(),
  upstreams: z.record(nameSchema, endpointOverrideSchema).optional(),
});

export const topologySchema = z
  .strictObject({
    version: z.literal(1, {
      // Missing falls through to the generic "missing required key" message.
      error: (iss) => (iss.input === undefined ? undefined : `unsupported version ${JSON.stringify(iss.input)}: this regtopo reads version 1`),
    }),
    registries: z.record(nameSchema, registrySchema).describe('the registries of this topology, by name'),
    upstreams: z
      .record(nameSchema, upstreamSchema)
      .optional()
      .describe('external registries to mirror from; "dockerhub" is predefined and may be overridden'),
    environments: z.record(nameSchema, environmentSchema).optional().describe('overlays chosen with --env or REGTOPO_ENV'),
    keys: z.record(nameSchema, keySpecSchema).optional().describe('public keys by name: approvers and status signers (signedBy) refer to these'),
    promotion: promotionSchema.optional(),
    mirrors: mirrorsSchema.optional(),
  })
  .describe('regtopo registry topology');

/** registries.yaml as written (before defaults and environment overlays). */
export type TopologyFile = z.infer<typeof topologySchema>;
export type RegistryFileEntry = z.infer<typeof registrySchema>;
export type UpstreamFileEntry = z.infer<typeof upstreamSchema>;
export type EnvironmentFileEntry = z.infer<typeof environmentSchema>;
export type EndpointOverride = z.infer<typeof endpointOverrideSchema>;

/**
 * JSON Schema (draft-07, which editors' YAML plugins understand best) for `regtopo schema` and the
 * `# yaml-language-server: $schema=` line.
 */
export function topologyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(topologySchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  return { ...schema, title: 'regtopo registries.yaml' };
}
