/**
 * Field schemas shared by every section of registries.yaml: names, endpoint URLs, repository paths
 * and credential references. Credentials are references only: a secret written into the file would
 * end up in version control, so inline secrets fail validation with their own rule.
 */
import * as z from 'zod';
import { Reference } from '../ref/reference.js';
import { TAG_PATTERN } from '../ref/tag.js';

export const INLINE_SECRET_MESSAGE = 'inline secrets are not allowed; reference an env var, credential helper or docker config';

/** Rule names carried on custom issues, so the loader reports them under the right rule. */
export const INLINE_SECRET_RULE = 'inline-secret';

const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Registry, upstream, environment, stage and rule names: they appear on command lines. */
export const nameSchema = z.string().regex(NAME_PATTERN, {
  error: 'names use lowercase letters, digits and "-" (not at either end)',
});

/** A registry endpoint: the scheme picks http or https; the path prefix lives in `namespace`. */
export const endpointUrlSchema = z
  .string()
  .superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem === 'userinfo') ctx.addIssue({ code: 'custom', message: INLINE_SECRET_MESSAGE, params: { rule: INLINE_SECRET_RULE } });
    else if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ pattern: '^https?://[^/@]+/?$', description: 'http://host[:port] or https://host[:port]; no path (use namespace)' });

function urlProblem(value: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return `url "${value}" must start with http:// or https://`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `url "${value}" is not a valid URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `url scheme "${url.protocol.slice(0, -1)}" is not supported; use http:// or https://`;
  if (url.username || url.password) return 'userinfo';
  if (url.pathname !== '/' || url.search || url.hash) return `url "${value}" must be scheme://host[:port] with no path; put a path prefix in "namespace"`;
  return undefined;
}

/** A repository path as the distribution spec allows it (lowercase components joined by "/"). */
export const repositoryPathSchema = z.string().superRefine((value, ctx) => {
  try {
    // Any valid host will do: only the path grammar is being checked here.
    Reference.of('registry.invalid', value);
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^invalid reference "[^"]*": /, '') : String(err);
    ctx.addIssue({ code: 'custom', message: `invalid repository path "${value}": ${why}` });
  }
});

export const tagSchema = z.string().regex(TAG_PATTERN, { error: 'invalid tag: letters, digits, "_", "." and "-", at most 128 characters' });

const envVarSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: 'must be the name of an environment variable (letters, digits and "_"), not a value',
});

/** Keys under which people paste secrets; declared so the message says why, not just "unknown key". */
const inlineSecret = z.never({ error: INLINE_SECRET_MESSAGE }).optional();

export const credentialsSchema = z
  .strictObject({
    env: z
      .strictObject({ username: envVarSchema, password: envVarSchema })
      .optional()
      .describe('read the username and password from these environment variables'),
    helper: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'helper is the NAME in docker-credential-NAME' })
      .optional()
      .describe('docker credential helper: runs docker-credential-NAME'),
    dockerConfig: z.literal(true).optional().describe('use the entry in ~/.docker/config.json (or $DOCKER_CONFIG)'),
    password: inlineSecret,
    token: inlineSecret,
    secret: inlineSecret,
    auth: inlineSecret,
  })
  .superRefine((value, ctx) => {
    const sources = (['env', 'helper', 'dockerConfig'] as const).filter((k) => value[k] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: sources.length === 0 ? 'credentials need one of env, helper or dockerConfig' : `credentials take one source, got ${sources.join(' and ')}`,
      });
    }
  })
  .describe('where credentials come from; never the secret itself');

export type CredentialsSpec = z.infer<typeof credentialsSchema>;

/** Applies to TLS endpoints: a private CA file, or no verification at all (tests only). */
export const tlsFields = {
  ca: z.string().min(1).optional().describe('PEM file of a CA to trust for this endpoint'),
  insecure: z.boolean().optional().describe('skip TLS certificate verification (never for prod)'),
};

/**
 * A trusted public key: an OpenSSH public key line or a PEM public key (cosign.pub), or a file
 * holding one, relative to the topology file. The topology is reviewed in git, so this is where
 * trust in approvers, scanners and image signers is declared.
 */
export const keySpecSchema = z
  .union([
    z.string().min(1).describe('an OpenSSH public key line: ssh-ed25519 AAAA… (also ecdsa-sha2-nistp256, ssh-rsa), or a PEM "-----BEGIN PUBLIC KEY-----" block (cosign.pub: ECDSA P-256, Ed25519, RSA)'),
    z.strictObject({ file: z.string().min(1).describe('a .pub file (OpenSSH) or a PEM public key file such as cosign.pub, relative to the topology file') }),
  ])
  .describe('public key of a person or system that signs approvals, statuses or images');

/** Seconds, or a number with s / m / h: 300, "90s", "5m". */
export const durationSchema = z.union([
  z.int().min(0).max(86_400),
  z.string().regex(/^\d{1,5}[smh]$/, { error: 'a duration is seconds (300) or a number with s, m or h ("5m")' }),
]);

/** A regular expression as written (mirror include/exclude, retention keep, gate subjects): it must compile. */
export const regexSchema = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${err instanceof Error ? err.message : String(err)}` });
  }
});
