/**
 * Signature gates: a stage may require that the exact digest being promoted carries a valid
 * signature, either cosign's by a key from `keys:` or a keyless Sigstore bundle whose certificate
 * names a given identity. The gate passes on the first signature that verifies and is bound to the
 * digest; the signature artifact's manifest digest is its evidence and goes into the plan hash, so
 * an approval given on one signature does not carry over to a plan resting on another.
 */
import { RegtopoError } from '../../errors.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { checkCosignSignature } from '../../signing/cosign-signature.js';
import { verifySigstoreBundle } from '../../signing/keyless.js';
import { readTrustedRoot } from '../../signing/trusted-root.js';
import type { TrustedKey } from '../../signing/trusted-keys.js';
import { describeSignatureGate, type KeylessSignatureGate, type KeySignatureGate, type SignatureGateSpec } from '../../topology/signature-gate.js';
import { findSignatureEvidence, type SignatureEvidence } from './signature-evidence.js';

export interface SignatureGateResult {
  /** Which signature the gate wants: a named key (and its fingerprint), or a keyless identity. */
  signature: { key: string; fingerprint: string } | { identity: { issuer: string; subject: string }; trustedRoot: string };
  satisfied: boolean;
  /** Manifest digest of the signature artifact that satisfied the gate. */
  evidence?: string;
  /** Where that artifact was found: cosign's `.sig` tag or a referrer of the digest. */
  source?: 'sig-tag' | 'referrer';
  /** Keyless: the identity the verified certificate carries, and the verifier's signature digest. */
  identity?: { issuer: string; subject: string };
  signatureDigest?: string;
  /** Signatures looked at that do not count, and why (at most a few). */
  rejected?: string[];
  /** "signature by release-signer", or "signature by release-signer missing for sha256:… (…)". */
  reason: string;
}

export interface SignatureGateEvaluation {
  passed: boolean;
  results: SignatureGateResult[];
  /** Manifest digests of the signature artifacts the gates rest on, sorted. */
  evidence: string[];
  /** Signature artifacts that could not be read (they do not count), one line each. */
  warnings: string[];
}

const MAX_REJECTED_SHOWN = 5;

/** Reads the signatures of `digest` in `repo` (source repository of the stage) and evaluates `gates` on them. */
export async function checkSignatureGates(
  repo: RegistryRepository, digest: string, tags: readonly string[], gates: readonly SignatureGateSpec[], keys: Map<string, TrustedKey>,
): Promise<SignatureGateEvaluation> {
  if (gates.length === 0) return { passed: true, results: [], evidence: [], warnings: [] };
  // Configuration first: a gate naming a missing key or an unreadable trusted root is an error, not a closed gate.
  const roots = new Map(gates.filter((g) => g.kind === 'keyless').map((g) => [g.trustedRoot, trustedRootOf(g)]));
  for (const g of gates) if (g.kind === 'key' && !keys.has(g.key)) throw new RegtopoError('E_CONFIG', `${describeSignatureGate(g)}: no key "${g.key}" in keys:`);
  const found = await findSignatureEvidence(repo, digest, tags, { cosign: gates.some((g) => g.kind === 'key'), bundles: gates.some((g) => g.kind === 'keyless') });
  const results: SignatureGateResult[] = [];
  for (const gate of gates) {
    results.push(gate.kind === 'key' ? keyGate(gate, keys.get(gate.key)!, found, digest) : await keylessGate(gate, roots.get(gate.trustedRoot), found, digest));
  }
  const evidence = [...new Set(results.filter((r) => r.satisfied && r.evidence).map((r) => r.evidence!))].sort();
  return { passed: results.every((r) => r.satisfied), results, evidence, warnings: found.skipped.map((s) => `signature artifact not counted: ${s}`) };
}

function keyGate(gate: KeySignatureGate, key: TrustedKey, found: SignatureEvidence, digest: string): SignatureGateResult {
  const base = { signature: { key: gate.key, fingerprint: key.fingerprint } };
  const rejected: string[] = [];
  const tally = { 'other-digest': 0, unverified: 0, malformed: 0 };
  for (const manifest of found.cosign) {
    for (const layer of manifest.layers) {
      const check = checkCosignSignature(layer.payload, layer.signature, digest, key);
      if (check.ok) return { ...base, satisfied: true, evidence: manifest.digest, source: manifest.source, reason: describeSignatureGate(gate) };
      tally[check.problem]++;
      rejected.push(`${manifest.digest.slice(0, 19)}… layer ${layer.layerDigest.slice(0, 19)}…: ${check.reason}`);
    }
  }
  const counted = rejected.length;
  const detail = counted === 0 ? 'no cosign signature found' : [
    `${counted} signature(s) found`,
    tally['other-digest'] ? `${tally['other-digest']} for another digest` : '',
    tally.unverified ? `${tally.unverified} not verifying with ${gate.key}` : '',
    tally.malformed ? `${tally.malformed} malformed` : '',
  ].filter(Boolean).join(', ');
  return { ...base, satisfied: false, ...(counted ? { rejected: rejected.slice(0, MAX_REJECTED_SHOWN) } : {}), reason: `${describeSignatureGate(gate)} missing for ${digest} (${detail})` };
}

async function keylessGate(gate: KeylessSignatureGate, trustedRoot: unknown, found: SignatureEvidence, digest: string): Promise<SignatureGateResult> {
  const base = { signature: { identity: { issuer: gate.issuer, subject: gate.subject }, trustedRoot: gate.trustedRootAsWritten } };
  // The schema proved the pattern compiles.
  const subject = new RegExp(gate.subject);
  const reasons: Array<{ artifact: string; reason: string }> = [];
  for (const { digest: artifact, bundle } of found.bundles) {
    const verdict = await verifySigstoreBundle(bundle, digest, { issuer: gate.issuer, subject, trustedRoot });
    // Belt and braces: an identity the verifier reports must be the one the gate asked for.
    const identityOk = !verdict.identity || (verdict.identity.issuer === gate.issuer && subject.test(verdict.identity.subject));
    if (verdict.ok && identityOk) {
      return {
        ...base, satisfied: true, evidence: artifact, source: 'referrer',
        ...(verdict.identity ? { identity: verdict.identity } : {}), ...(verdict.signatureDigest ? { signatureDigest: verdict.signatureDigest } : {}),
        reason: `${describeSignatureGate(gate)}${verdict.identity ? ` (${verdict.identity.subject})` : ''}`,
      };
    }
    reasons.push({ artifact, reason: verdict.ok ? `identity ${verdict.identity!.issuer} ${verdict.identity!.subject} is not the gate's` : verdict.reason });
  }
  const detail = reasons.length === 0 ? 'no Sigstore bundle found' : `${reasons.length} bundle(s) did not verify: ${reasons[0]!.reason}`;
  const rejected = reasons.slice(0, MAX_REJECTED_SHOWN).map((r) => `${r.artifact.slice(0, 19)}…: ${r.reason}`);
  return { ...base, satisfied: false, ...(rejected.length ? { rejected } : {}), reason: `${describeSignatureGate(gate)} missing for ${digest} (${detail})` };
}

function trustedRootOf(gate: KeylessSignatureGate): unknown {
  return readTrustedRoot(gate.trustedRoot, `${describeSignatureGate(gate)}: trustedRoot ${gate.trustedRootAsWritten}`);
}
