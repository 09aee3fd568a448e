/**
 * The `promotion:` section: images, stages, gates (statuses and signatures), approvals and target
 * tag templates. Only its shape is checked here (and, in rules/, that the registries and keys it
 * names exist with the right roles); the promotion commands give it behaviour.
 */
import * as z from 'zod';
import { isHeaderValueSpec } from './header-template.js';
import { durationSchema, nameSchema, regexSchema, repositoryPathSchema, tagSchema } from './schema-fields.js';

/**
 * `signature:` inside a gate: a cosign signature by a named key, or a keyless Sigstore bundle whose
 * certificate names `identity`, verified against `trustedRoot`.
 */
const signatureGateSchema = z
  .strictObject({
    key: z.string().min(1).optional().describe('name in keys: of the public key (PEM, e.g. cosign.pub) whose cosign signature must be bound to the digest'),
    identity: z
      .strictObject({
        issuer: z.url({ protocol: /^https?$/, error: 'issuer must be an http(s) URL, e.g. https://token.actions.githubusercontent.com' }).describe('OIDC issuer the signing certificate must name, exactly'),
        subject: regexSchema.describe("regular expression the certificate's subject (SAN) must match, e.g. '^https://github.com/acme/app/'"),
      })
      .optional()
      .describe('keyless: the identity the Sigstore certificate must carry'),
    trustedRoot: z.string().min(1).optional().describe('keyless: trusted_root.json (Sigstore trusted root) to verify bundles offline against, relative to the topology file'),
  })
  .superRefine((sig, ctx) => {
    if ((sig.key === undefined) === (sig.identity === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a signature gate needs exactly one of key (a name in keys:) or identity (keyless)' });
    } else if (sig.identity !== undefined && sig.trustedRoot === undefined) {
      ctx.addIssue({ code: 'custom', path: ['trustedRoot'], message: 'a keyless signature gate needs trustedRoot: the trusted_root.json to verify against' });
    } else if (sig.key !== undefined && sig.trustedRoot !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['trustedRoot'], message: 'trustedRoot applies to keyless gates (identity:), not to key gates' });
    }
  });

/**
 * One entry of a stage's `gates:`: a status gate or a signature gate. One object with every key (not
 * a union) so a typo in either kind is reported as an unknown key with a suggestion.
 */
const gateSchema = z
  .strictObject({
    status: z.string().min(1).optional().describe('name of a status recorded on the image (e.g. tests, scan)'),
    equals: z.string().optional().describe('the status must have exactly this value'),
    in: z.array(z.string()).min(1).optional().describe('the status must have one of these values'),
    signedBy: z.array(z.string().min(1)).min(1).optional().describe('count only status records signed by one of these keys (names in keys:)'),
    signature: signatureGateSchema.optional().describe('the image digest must carry a valid signature (instead of status)'),
  })
  .superRefine((gate, ctx) => {
    if (gate.signature !== undefined) {
      const extra = (['status', 'equals', 'in', 'signedBy'] as const).filter((k) => gate[k] !== undefined);
      if (extra.length > 0) ctx.addIssue({ code: 'custom', path: [extra[0]!], message: `a signature gate takes no ${extra.join(', ')}: write the status gate as a separate entry` });
      return;
    }
    if (gate.status === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a gate needs status (with equals or in) or signature' });
      return;
    }
    if ((gate.equals === undefined) === (gate.in === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a gate needs exactly one of equals or in' });
    }
  });

const timeoutSchema = z.int().min(1).max(3600).optional().describe('seconds before the hook counts as failed (default 60)');

const approvalSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('command'),
    command: z.string().min(1).describe('runs this command through the shell with the plan as JSON on stdin; exit 0 approves, anything else rejects (its output is the reason)'),
    timeout: timeoutSchema,
  }),
  z.strictObject({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'webhook url must be an http(s) URL' }),
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9-]+$/),
        z.string().refine(isHeaderValueSpec, { error: 'a header value is an environment variable name (HOOK_TOKEN) or text with ${VAR} references (Bearer ${HOOK_TOKEN})' }),
      )
      .optional()
      .describe('HTTP header name → environment variable holding its value, or text around ${VAR} references (tokens stay out of the file)'),
    timeout: timeoutSchema,
    retries: z.int().min(0).max(10).optional().describe('extra attempts after a network error, timeout or 5xx (default 2)'),
  }),
  z.strictObject({
    type: z.literal('manual'),
    approvers: z.array(z.string().min(1)).optional().describe('who may approve: names in keys: (their approvals must be signed with that key); a name without a key is trusted on its word ([unauthenticated-approval])'),
    quorum: z.int().min(1).optional().describe('distinct approvers needed (default 1); any rejection of the same plan rejects it'),
  }),
]);

/** A tag, optionally with placeholders {version}, {digest12}, {date}. */
const tagTemplateSchema = z
  .string()
  .regex(/^(?:[A-Za-z0-9_]|\{(?:version|digest12|date)\})(?:[A-Za-z0-9_.-]|\{(?:version|digest12|date)\})*$/, {
    error: 'invalid tag template: tag characters plus the placeholders {version}, {digest12}, {date}',
  });

const stageSchema = z.strictObject({
  name: nameSchema,
  from: z.string().describe('registry name images are promoted from'),
  to: z.string().describe('registry name images are promoted into (a ci or prod registry)'),
  tags: z.array(tagSchema).min(1).describe('tags whose digests this stage promotes: the first one present in the source is resolved to a digest, once'),
  targetTags: z
    .array(tagTemplateSchema)
    .min(1)
    .optional()
    .describe('tags set in the target (default: the stage name); placeholders {version} (image label org.opencontainers.image.version or --version), {digest12}, {date} (UTC YYYYMMDD)'),
  movingTags: z
    .array(tagSchema)
    .optional()
    .describe('target tags that may move to another digest (default: latest, tested, stable, plus the stage name); every other target tag is immutable'),
  gates: z.array(gateSchema).optional(),
  approval: approvalSchema.optional(),
  description: z.string().optional(),
});

const promotedImageSchema = z.strictObject({
  name: nameSchema,
  repository: repositoryPathSchema,
  source: z.string().describe('registry name where builds of this image land'),
});

export const promotionSchema = z.strictObject({
  clockSkew: durationSchema.optional().describe('how far apart two status records may be dated and still count as written at the same time (default 5m): contradicting ones within it fail the gate'),
  images: z.array(promotedImageSchema).optional(),
  stages: z.array(stageSchema).optional(),
});

export type PromotionSection = z.infer<typeof promotionSchema>;
export type PromotionStage = z.infer<typeof stageSchema>;
/** A gate entry as written: a status gate or a signature gate (normalise.ts tells them apart). */
export type GateEntry = z.infer<typeof gateSchema>;
export type SignatureGateEntry = NonNullable<GateEntry['signature']>;
/** A status gate (the stage's `gates` in the model hold only these; signature gates are apart). */
export interface PromotionGate {
  status: string;
  equals?: string;
  in?: string[];
  signedBy?: string[];
}
export type ApprovalSpec = z.infer<typeof approvalSchema>;
export type PromotedImage = z.infer<typeof promotedImageSchema>;
