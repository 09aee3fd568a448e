/**
 * Keyless signatures: a Sigstore bundle (sigstore protobuf-specs Bundle v0.1–v0.3) verified offline
 * against a trusted root (TrustedRoot v0.1), the certificate held to an OIDC issuer and subject, and
 * the signed content bound to one image digest.
 *
 * All cryptography is the sigstore project's (@sigstore/bundle parses and checks the shape,
 * @sigstore/verify checks the certificate chain, the SCTs, the tlog inclusion promise and proof and
 * the signature; thresholds are its defaults, as cosign's: one tlog entry, one SCT, one verified
 * timestamp). What is ours is the policy and the binding: cosign v3 signs an image as a DSSE
 * envelope over an in-toto statement whose predicate type is https://sigstore.dev/cosign/sign/v1
 * and whose subject carries the manifest digest, so that digest is what a gate holds it to. A
 * messageSignature bundle signs bytes this function is not given (the signature is over the
 * artifact, not its digest), so it cannot be bound and is refused.
 *
 * The sigstore modules are imported on first use: other commands never pay for loading them.
 */
import { isDigest } from '../ref/digest.js';

export interface KeylessPolicy {
  /** The certificate's OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, or legacy .1.1), exactly. */
  issuer: string;
  /** Tested against the certificate's SAN (URI or email); anchored only as written. */
  subject: RegExp;
  /** trusted_root.json, parsed. */
  trustedRoot: unknown;
  /** In-toto predicate types accepted; default only cosign's image signature. */
  predicateTypes?: readonly string[];
}

export interface KeylessVerdict {
  ok: boolean;
  reason: string;
  identity?: { issuer: string; subject: string };
  /** Left to the caller, who knows the referrer's manifest digest; this function never sets it. */
  signatureDigest?: string;
}

export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENTS = new Set(['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']);

type Sigstore = {
  bundle: typeof import('@sigstore/bundle');
  verify: typeof import('@sigstore/verify');
  specs: typeof import('@sigstore/protobuf-specs');
};
let loaded: Promise<Sigstore> | undefined;

function sigstore(): Promise<Sigstore> {
  loaded ??= Promise.all([import('@sigstore/bundle'), import('@sigstore/verify'), import('@sigstore/protobuf-specs')])
    .then(([bundle, verify, specs]) => ({ bundle, verify, specs }));
  return loaded;
}

// A gate checks every bundle of every image against the same parsed root: parse it once.
const trustCache = new WeakMap<object, import('@sigstore/verify').TrustMaterial>();

function trustMaterialOf(root: unknown, verify: Sigstore['verify'], specs: Sigstore['specs']): import('@sigstore/verify').TrustMaterial {
  const cached = typeof root === 'object' && root !== null ? trustCache.get(root) : undefined;
  if (cached) return cached;
  const trust = verify.toTrustMaterial(specs.TrustedRoot.fromJSON(root));
  if (typeof root === 'object' && root !== null) trustCache.set(root, trust);
  return trust;
}

const refuse = (reason: string, identity?: KeylessVerdict['identity']): KeylessVerdict => (identity ? { ok: false, reason, identity } : { ok: false, reason });

export async function verifySigstoreBundle(bundle: unknown, digest: string, policy: KeylessPolicy): Promise<KeylessVerdict> {
  if (typeof digest !== 'string' || !isDigest(digest)) return refuse(`invalid image digest "${String(digest)}"`);
  // A pattern given as a string would be no pattern at all once compiled from `undefined` (it
  // matches everything): refuse a policy that is not the declared shape.
  if (typeof policy?.issuer !== 'string' || policy.issuer === '') return refuse('policy names no certificate issuer');
  if (!(policy.subject instanceof RegExp)) return refuse('policy subject must be a RegExp');
  const { bundle: bundles, verify, specs } = await sigstore();

  let trust: import('@sigstore/verify').TrustMaterial;
  try {
    trust = trustMaterialOf(policy.trustedRoot, verify, specs);
  } catch (err) {
    return refuse(`trusted root is not a usable trusted_root.json: ${message(err)}`);
  }
  if (trust.certificateAuthorities.length === 0) return refuse('trusted root lists no certificate authority');

  let parsed: import('@sigstore/bundle').Bundle;
  try {
    if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) throw new Error('not a JSON object');
    const mediaType = (bundle as { mediaType?: unknown }).mediaType;
    if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.bundle')) throw new Error(`mediaType ${JSON.stringify(mediaType)} is not a Sigstore bundle's`);
    parsed = bundles.bundleFromJSON(bundle);
  } catch (err) {
    return refuse(`malformed Sigstore bundle: ${message(err)}`);
  }
  if (parsed.content.$case !== 'dsseEnvelope') {
    return refuse('bundle is a messageSignature over an artifact, not a DSSE in-toto statement: it cannot be bound to an image digest');
  }
  if (parsed.verificationMaterial.content.$case === 'publicKey') return refuse('bundle is signed with a key, not a keyless certificate');

  let signer: import('@sigstore/verify').Signer;
  try {
    signer = new verify.Verifier(trust).verify(verify.toSignedEntity(parsed));
  } catch (err) {
    return refuse(verificationReason(err));
  }

  const identity = { issuer: signer.identity?.extensions?.issuer ?? '', subject: signer.identity?.subjectAlternativeName ?? '' };
  if (identity.issuer !== policy.issuer) {
    return refuse(`certificate issuer is ${identity.issuer ? `"${identity.issuer}"` : 'missing'}, the policy requires "${policy.issuer}"`, identity);
  }
  // A fresh copy: a /g or /y pattern would otherwise carry lastIndex from one call to the next.
  const subject = new RegExp(policy.subject.source, policy.subject.flags.replace(/[gy]/g, ''));
  if (!subject.test(identity.subject)) {
    return refuse(`certificate subject "${identity.subject}" does not match ${String(policy.subject)}`, identity);
  }

  const binding = bindingProblem(parsed.content.dsseEnvelope, digest, policy.predicateTypes ?? [COSIGN_SIGN_PREDICATE]);
  if (binding) return refuse(binding, identity);
  return { ok: true, reason: `signed by ${identity.subject} (issuer ${identity.issuer}), bound to ${digest}`, identity };
}

/** Undefined when the (already verified) statement names `digest`; else why not. */
function bindingProblem(envelope: { payloadType: string; payload: Buffer }, digest: string, predicateTypes: readonly string[]): string | undefined {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD) return `DSSE payload type is "${envelope.payloadType}", not an in-toto statement (${IN_TOTO_PAYLOAD})`;
  let statement: { _type?: unknown; predicateType?: unknown; subject?: unknown };
  try {
    statement = JSON.parse(envelope.payload.toString('utf8')) as typeof statement;
  } catch {
    return 'DSSE payload is not JSON';
  }
  if (typeof statement !== 'object' || statement === null || !IN_TOTO_STATEMENTS.has(statement._type as string)) return 'DSSE payload is not an in-toto statement';
  if (!predicateTypes.includes(statement.predicateType as string)) {
    return `statement has predicate type ${JSON.stringify(statement.predicateType)}, accepted: ${predicateTypes.join(', ')}`;
  }
  const [algorithm, hex] = digest.split(':');
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  const named = subjects.map((s: { digest?: Record<string, unknown> }) => s?.digest?.[algorithm]).filter((d): d is string => typeof d === 'string');
  if (named.includes(hex)) return undefined;
  return `digest mismatch: the statement is for ${named.length ? named.map((d) => `${algorithm}:${d}`).join(', ') : `no ${algorithm} digest`}, not ${digest}`;
}

/** What @sigstore/verify's error codes mean, in the words a gate prints. */
function verificationReason(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const detail = message(err);
  switch (code) {
    case 'CERTIFICATE_ERROR':
      return `certificate does not chain to the trusted root: ${detail}`;
    case 'SIGNATURE_ERROR':
      return `signature invalid: ${detail}`;
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_ERROR':
      return `not in a trusted transparency log: ${detail}`;
    case 'TLOG_BODY_ERROR':
      return `transparency-log entry does not match the bundle (tampered payload or signature): ${detail}`;
    case 'TIMESTAMP_ERROR':
      return `no verified signing time (transparency-log entry or timestamp): ${detail}`;
    default:
      return `bundle did not verify: ${detail}`;
  }
}

function message(err: unknown): string {
  const fields = (err as { fields?: unknown })?.fields;
  const own = (err instanceof Error ? err.message : String(err)) + (Array.isArray(fields) && fields.length ? `: ${fields.join(', ')} missing or invalid` : '');
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${own}${cause}`.replace(/\s+/g, ' ').slice(0, 300);
}
