/**
 * Content digests (OCI image-spec, descriptor.md#digests). Validated strictly before any URL is built
 * from them, so a hostile manifest cannot smuggle path segments into a request.
 */
import { createHash, type Hash } from 'node:crypto';
import { RegtopoError } from '../errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

const DIGEST_PATTERNS: Record<DigestAlgorithm, RegExp> = {
  sha256: /^sha256:[a-f0-9]{64}$/,
  sha512: /^sha512:[a-f0-9]{128}$/,
};

export function isDigest(value: string): boolean {
  return DIGEST_PATTERNS.sha256.test(value) || DIGEST_PATTERNS.sha512.test(value);
}

/** Returns the digest unchanged, or throws E_REF_INVALID naming where it came from. */
export function assertDigest(value: unknown, where = 'digest'): string {
  if (typeof value !== 'string' || !isDigest(value)) {
    throw new RegtopoError('E_REF_INVALID', `invalid ${where} "${String(value)}": expected sha256:<64 hex> or sha512:<128 hex>`);
  }
  return value;
}

export function digestAlgorithm(digest: string): DigestAlgorithm {
  return assertDigest(digest).slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

export function digestHex(digest: string): string {
  return assertDigest(digest).slice(digest.indexOf(':') + 1);
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** A hasher for the algorithm a digest names, for verifying streams against it. */
export function hasherFor(digest: string): Hash {
  return createHash(digestAlgorithm(digest));
}

/** Throws E_DIGEST_MISMATCH unless `bytes` hash to `expected`. */
export function verifyBytes(bytes: Uint8Array, expected: string, what: string): void {
  const actual = digestOf(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new RegtopoError('E_DIGEST_MISMATCH', `${what}: content hashes to ${actual}, expected ${expected}`);
  }
}
