/**
 * A signature gate as the rest of regtopo sees it (normalise.ts builds it from the stage's `gates:`
 * list): either a cosign signature by a named key from `keys:`, or a Sigstore bundle whose
 * certificate names an identity, verified against a trusted root. Plain JSON (the topology is cached
 * as JSON), so the subject pattern stays a string here; the schema already proved it compiles.
 */

export interface KeySignatureGate {
  kind: 'key';
  /** Name in `keys:`. */
  key: string;
  /** Index in the stage's `gates:` list as written (for messages at the right line). */
  at: number;
}

export interface KeylessSignatureGate {
  kind: 'keyless';
  /** The OIDC issuer the certificate must name, exactly. */
  issuer: string;
  /** Regular expression the certificate's subject (SAN) must match. */
  subject: string;
  /** Path of the trusted_root.json: resolved against the topology file's directory. */
  trustedRoot: string;
  /** The path as written (for messages). */
  trustedRootAsWritten: string;
  at: number;
}

export type SignatureGateSpec = KeySignatureGate | KeylessSignatureGate;

/** `signature by release-signer` / `keyless signature from ISSUER with subject matching PATTERN` (results, messages). */
export function describeSignatureGate(gate: SignatureGateSpec): string {
  return gate.kind === 'key' ? `signature by ${gate.key}` : `keyless signature from ${gate.issuer} with subject matching ${gate.subject}`;
}
