/**
 * PLACEHOLDER, replaced at merge by the keyless Sigstore-bundle verifier (issue 14). Its contract is
 * fixed here so the signature gates compile against it; until the real verifier lands every bundle
 * fails verification, so a keyless gate fails closed.
 */

export interface KeylessPolicy {
  issuer: string;
  subject: RegExp;
  /** The parsed trusted_root.json. */
  trustedRoot: unknown;
}

export interface KeylessVerdict {
  ok: boolean;
  reason: string;
  identity?: { issuer: string; subject: string };
  signatureDigest?: string;
}

export async function verifySigstoreBundle(_bundle: unknown, _digest: string, _policy: KeylessPolicy): Promise<KeylessVerdict> {
  return { ok: false, reason: 'keyless verification is not built yet' };
}
