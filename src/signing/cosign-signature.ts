/**
 * cosign's key-based image signatures, verified in-process (sigstore/cosign "Signature
 * Specification"). cosign signs a small JSON document, the "simple signing" payload:
 *
 *   {"critical": {"identity": {"docker-reference": "HOST/REPO"},
 *                 "image": {"docker-manifest-digest": "sha256:…"},
 *                 "type": "cosign container image signature"},
 *    "optional": {…} | null}
 *
 * stored as a layer of media type application/vnd.dev.cosign.simplesigning.v1+json whose descriptor
 * annotation dev.cosignproject.cosign/signature holds the base64 signature over the payload's exact
 * bytes. The digest inside the payload is the binding: a signature found next to an image proves
 * nothing about that image unless the payload names its digest. The docker-reference is not checked
 * (a promoted image lives under another name; the digest is what was signed).
 *
 * Signature schemes, as sigstore's verifiers for each key type use them: ECDSA P-256 over SHA-256
 * (ASN.1 DER r,s), Ed25519 over the payload itself, RSA PKCS#1 v1.5 or PSS over SHA-256.
 */
import { constants, verify as cryptoVerify } from 'node:crypto';
import type { PublicKeyInfo } from './public-key.js';
import { SignatureFormatError } from './ssh-wire.js';

export const COSIGN_SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The artifactType of a cosign signature stored as an OCI 1.1 referrer. */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';
/** An RSA-8192 signature is 1 KiB, base64 ~1.4 KiB; anything far larger is not a signature. */
const MAX_SIGNATURE_BASE64 = 8 << 10;

export interface SimpleSigning {
  /** critical.image.docker-manifest-digest: the image the signature is for. */
  digest: string;
  /** critical.identity.docker-reference, as signed (informational). */
  reference?: string;
}

/** `sha256-<hex>.sig`: the tag cosign stores signatures of `digest` under. */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** Parses a simple-signing payload; SignatureFormatError when it is not one. */
export function parseSimpleSigning(payload: Uint8Array): SimpleSigning {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new SignatureFormatError('simple-signing payload is not JSON');
  }
  const critical = field(doc, 'critical');
  if (field(critical, 'type') !== COSIGN_PAYLOAD_TYPE) throw new SignatureFormatError(`simple-signing payload type is not "${COSIGN_PAYLOAD_TYPE}"`);
  const digest = field(field(critical, 'image'), 'docker-manifest-digest');
  if (typeof digest !== 'string' || digest.length === 0) throw new SignatureFormatError('simple-signing payload names no critical.image.docker-manifest-digest');
  const reference = field(field(critical, 'identity'), 'docker-reference');
  return { digest, ...(typeof reference === 'string' ? { reference } : {}) };
}

/** True when `signatureBase64` is `key`'s signature over exactly `payload`. Never throws. */
export function verifyCosignSignature(payload: Uint8Array, signatureBase64: string, key: PublicKeyInfo): boolean {
  const trimmed = signatureBase64.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_SIGNATURE_BASE64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return false;
  const signature = Buffer.from(trimmed, 'base64');
  const data = Buffer.from(payload);
  try {
    switch (key.key.asymmetricKeyType) {
      case 'ec':
        return cryptoVerify('sha256', data, { key: key.key, dsaEncoding: 'der' }, signature);
      case 'ed25519':
        return signature.length === 64 && cryptoVerify(null, data, key.key, signature);
      case 'rsa':
        return cryptoVerify('sha256', data, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature)
          || cryptoVerify('sha256', data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
      default:
        return false;
    }
  } catch {
    // A malformed signature (bad DER, wrong length) is simply not a valid signature.
    return false;
  }
}

export type CosignCheck = { ok: true; signed: SimpleSigning } | { ok: false; problem: 'unverified' | 'other-digest' | 'malformed'; reason: string };

/**
 * The whole question a signature gate asks of one signature layer: is it `key`'s signature, over a
 * simple-signing payload, naming `digest`? The signature is checked before the payload is believed.
 */
export function checkCosignSignature(payload: Uint8Array, signatureBase64: string | undefined, digest: string, key: PublicKeyInfo & { name?: string }): CosignCheck {
  const keyName = key.name ?? key.fingerprint;
  if (!signatureBase64) return { ok: false, problem: 'malformed', reason: `no ${COSIGN_SIGNATURE_ANNOTATION} annotation` };
  if (!verifyCosignSignature(payload, signatureBase64, key)) return { ok: false, problem: 'unverified', reason: `does not verify with key ${keyName}` };
  let signed: SimpleSigning;
  try {
    signed = parseSimpleSigning(payload);
  } catch (err) {
    return { ok: false, problem: 'malformed', reason: (err as Error).message };
  }
  if (signed.digest !== digest) return { ok: false, problem: 'other-digest', reason: `signed by ${keyName} for ${signed.digest}, not ${digest}` };
  return { ok: true, signed };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}
