import { createHash, X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifySigstoreBundle, type KeylessPolicy } from '../../src/signing/keyless.js';
import { createSigstorePki, GITHUB_ISSUER, RELEASE_WORKFLOW, type SigstoreTestPki } from '../support/sigstore-fixture.js';

const digestOf = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const IMAGE = digestOf('the image');
const OTHER = digestOf('another image');

type Json = Record<string, any>;
const clone = (b: Json): Json => structuredClone(b);
const flipBase64 = (s: string): string => {
  const bytes = Buffer.from(s, 'base64');
  bytes[bytes.length - 1] ^= 1;
  return bytes.toString('base64');
};

describe('verifySigstoreBundle', () => {
  let pki: SigstoreTestPki;
  let policy: KeylessPolicy;
  let valid: Json;

  beforeAll(async () => {
    pki = await createSigstorePki();
    policy = { issuer: GITHUB_ISSUER, subject: /^https:\/\/github\.com\/acme\/app\//, trustedRoot: pki.trustedRoot };
    valid = await pki.signImage({ digest: IMAGE });
  });

  it('accepts a bundle for the digest and reports the identity', async () => {
    const verdict = await verifySigstoreBundle(valid, IMAGE, policy);
    expect(verdict).toMatchObject({ ok: true, identity: { issuer: GITHUB_ISSUER, subject: RELEASE_WORKFLOW } });
    expect(verdict.reason).toContain(IMAGE);
  });

  it('accepts a bundle that survived a JSON round trip (as read back from a registry)', async () => {
    const verdict = await verifySigstoreBundle(JSON.parse(JSON.stringify(valid)), IMAGE, policy);
    expect(verdict.ok).toBe(true);
  });

  describe('a day later', () => {
    afterEach(() => vi.useRealTimers());

    it('still accepts it: the 10-minute certificate is checked at the logged signing time, not now', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 24 * 3_600_000);
      const cert = new X509Certificate(Buffer.from(valid.verificationMaterial.certificate.rawBytes, 'base64'));
      expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now());
      expect((await verifySigstoreBundle(valid, IMAGE, policy)).ok).toBe(true);
    });
  });

  it('accepts the legacy issuer extension (1.3.6.1.4.1.57264.1.1)', async () => {
    const verdict = await verifySigstoreBundle(await pki.signImage({ digest: IMAGE, legacyIssuer: true }), IMAGE, policy);
    expect(verdict).toMatchObject({ ok: true, identity: { issuer: GITHUB_ISSUER } });
  });

  it('refuses a valid bundle that binds another digest', async () => {
    const verdict = await verifySigstoreBundle(valid, OTHER, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^digest mismatch: the statement is for sha256:[0-9a-f]{64}, not sha256:/);
    expect(verdict.reason).toContain(IMAGE);
    expect(verdict.identity?.subject).toBe(RELEASE_WORKFLOW);
  });

  it('refuses a tampered payload (statement rewritten to name another digest)', async () => {
    const tampered = clone(valid);
    const statement = JSON.parse(Buffer.from(tampered.dsseEnvelope.payload, 'base64').toString());
    statement.subject[0].digest.sha256 = OTHER.slice(7);
    tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const verdict = await verifySigstoreBundle(tampered, OTHER, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^transparency-log entry does not match the bundle.*payload hash mismatch/);
  });

  it('refuses a tampered signature', async () => {
    const tampered = clone(valid);
    tampered.dsseEnvelope.signatures[0].sig = flipBase64(tampered.dsseEnvelope.signatures[0].sig);
    const verdict = await verifySigstoreBundle(tampered, IMAGE, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^transparency-log entry does not match the bundle.*signature mismatch/);
  });

  it('refuses a signature the certificate key did not make, even when logged as it is', async () => {
    const verdict = await verifySigstoreBundle(await pki.signImage({ digest: IMAGE, wrongKey: true }), IMAGE, policy);
    expect(verdict).toMatchObject({ ok: false, reason: 'signature invalid: signature verification failed' });
  });

  it('refuses a wrong issuer', async () => {
    const bundle = await pki.signImage({ digest: IMAGE, issuer: 'https://accounts.google.com' });
    const verdict = await verifySigstoreBundle(bundle, IMAGE, policy);
    expect(verdict).toMatchObject({
      ok: false,
      reason: `certificate issuer is "https://accounts.google.com", the policy requires "${GITHUB_ISSUER}"`,
      identity: { issuer: 'https://accounts.google.com' },
    });
  });

  it('refuses a subject that does not match the pattern, anchored as written', async () => {
    const bundle = await pki.signImage({ digest: IMAGE, subject: 'https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main?https://github.com/acme/app/' });
    const verdict = await verifySigstoreBundle(bundle, IMAGE, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^certificate subject "https:\/\/github.com\/evil\/app\/.*" does not match \/\^https/);
    // Unanchored, the same pattern matches: the policy's anchoring is the user's.
    const unanchored = { ...policy, subject: /https:\/\/github\.com\/acme\/app\// };
    expect((await verifySigstoreBundle(bundle, IMAGE, unanchored)).ok).toBe(true);
  });

  it('gives the same answer on every call with a global pattern', async () => {
    const global = { ...policy, subject: /^https:\/\/github\.com\/acme\/app\//g };
    const verdicts = await Promise.all([1, 2, 3].map(() => verifySigstoreBundle(valid, IMAGE, global)));
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true]);
  });

  it('refuses a certificate from a CA that is not in the trusted root', async () => {
    const other = await createSigstorePki('other');
    const verdict = await verifySigstoreBundle(await other.signImage({ digest: IMAGE }), IMAGE, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^certificate does not chain to the trusted root: Failed to verify certificate chain/);
  });

  it('refuses an entry from a transparency log that is not in the trusted root', async () => {
    const verdict = await verifySigstoreBundle(await pki.signImage({ digest: IMAGE, unknownLog: true }), IMAGE, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/^not in a trusted transparency log: inclusion promise could not be verified/);
  });

  it('refuses a bundle without transparency-log entries', async () => {
    const unlogged = clone(valid);
    unlogged.verificationMaterial.tlogEntries = [];
    const verdict = await verifySigstoreBundle(unlogged, IMAGE, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/transparency-log|signing time/);
  });

  it('refuses another predicate type unless the policy accepts it', async () => {
    const provenance = await pki.signImage({ digest: IMAGE, predicateType: 'https://slsa.dev/provenance/v1' });
    const verdict = await verifySigstoreBundle(provenance, IMAGE, policy);
    expect(verdict).toMatchObject({ ok: false, reason: 'statement has predicate type "https://slsa.dev/provenance/v1", accepted: https://sigstore.dev/cosign/sign/v1' });
    expect((await verifySigstoreBundle(provenance, IMAGE, { ...policy, predicateTypes: ['https://slsa.dev/provenance/v1'] })).ok).toBe(true);
  });

  it('refuses malformed bundles with a reason and without throwing', async () => {
    const noCert = clone(valid);
    delete noCert.verificationMaterial.certificate;
    const cases: unknown[] = [null, 'text', [], {}, { mediaType: 'application/json' }, { mediaType: valid.mediaType }, noCert, { ...clone(valid), dsseEnvelope: { payload: 7 } }];
    for (const bundle of cases) {
      const verdict = await verifySigstoreBundle(bundle, IMAGE, policy);
      expect(verdict.ok, JSON.stringify(bundle)?.slice(0, 80)).toBe(false);
      expect(verdict.reason).toMatch(/^malformed Sigstore bundle: /);
    }
  });

  it('refuses a messageSignature bundle: it cannot be bound to an image digest', async () => {
    const message = clone(valid);
    delete message.dsseEnvelope;
    message.messageSignature = { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(IMAGE.slice(7), 'hex').toString('base64') }, signature: valid.dsseEnvelope.signatures[0].sig };
    const verdict = await verifySigstoreBundle(message, IMAGE, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/messageSignature/);
  });

  it('refuses an unusable trusted root and an invalid digest', async () => {
    expect(await verifySigstoreBundle(valid, IMAGE, { ...policy, trustedRoot: { mediaType: 'x' } })).toMatchObject({ ok: false, reason: 'trusted root lists no certificate authority' });
    expect((await verifySigstoreBundle(valid, IMAGE, { ...policy, trustedRoot: 'nope' })).reason).toMatch(/^trusted root/);
    expect(await verifySigstoreBundle(valid, 'sha256:abc', policy)).toMatchObject({ ok: false, reason: 'invalid image digest "sha256:abc"' });
  });

  it('refuses a policy whose subject is not a RegExp or whose issuer is empty, rather than matching everything', async () => {
    const asString = { ...policy, subject: '^https://github.com/acme/app/' as unknown as RegExp };
    expect(await verifySigstoreBundle(valid, IMAGE, asString)).toMatchObject({ ok: false, reason: 'policy subject must be a RegExp' });
    expect(await verifySigstoreBundle(valid, IMAGE, { ...policy, issuer: '' })).toMatchObject({ ok: false, reason: 'policy names no certificate issuer' });
  });
});
