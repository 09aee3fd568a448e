/**
 * cosign simple-signing signatures verified in-process with PEM public keys of every type cosign
 * uses (ECDSA P-256, Ed25519, RSA): the signature is over the payload's exact bytes, and the
 * payload's docker-manifest-digest is what binds it to an image. Signatures are made by
 * test/support/cosign-signatures.ts with node:crypto keys, independently of the verifier.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkCosignSignature, cosignSignatureTag, parseSimpleSigning, verifyCosignSignature } from '../../src/signing/cosign-signature.js';
import { parsePublicKey } from '../../src/signing/public-key.js';
import { makeCosignKey, signPayload, simpleSigningPayload, type CosignKeyType } from '../support/cosign-signatures.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;

describe.each<[CosignKeyType, string]>([['ecdsa', 'ecdsa-p256'], ['ed25519', 'ed25519'], ['rsa', 'rsa']])('cosign signature with a %s PEM key', (type, algorithm) => {
  const signer = makeCosignKey(type);
  const key = { name: 'release-signer', ...parsePublicKey(signer.publicPem) };
  const payload = simpleSigningPayload(DIGEST, 'registry.example/app');
  const signature = signPayload(signer, payload);

  it('the PEM key parses as its algorithm, and a signature over the payload for the digest checks out', () => {
    expect(key.algorithm).toBe(algorithm);
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(verifyCosignSignature(payload, signature, key)).toBe(true);
    expect(checkCosignSignature(payload, signature, DIGEST, key)).toEqual({ ok: true, signed: { digest: DIGEST, reference: 'registry.example/app' } });
  });

  it('a signature for another digest does not bind this one', () => {
    expect(checkCosignSignature(payload, signature, OTHER, key)).toMatchObject({ ok: false, problem: 'other-digest', reason: `signed by release-signer for ${DIGEST}, not ${OTHER}` });
  });

  it('a tampered payload (one byte, or the digest swapped) does not verify', () => {
    const swapped = Buffer.from(payload.toString().replace(DIGEST, OTHER));
    expect(checkCosignSignature(swapped, signature, OTHER, key)).toMatchObject({ ok: false, problem: 'unverified' });
    const flipped = Buffer.from(payload);
    flipped[flipped.length - 3]! ^= 0x01;
    expect(verifyCosignSignature(flipped, signature, key)).toBe(false);
  });

  it('a signature by another key of the same type does not verify', () => {
    const other = makeCosignKey(type);
    expect(checkCosignSignature(payload, signPayload(other, payload), DIGEST, key)).toMatchObject({ ok: false, problem: 'unverified', reason: 'does not verify with key release-signer' });
  });

  it('a flipped signature byte, garbage, or no signature at all fails without throwing', () => {
    const raw = Buffer.from(signature, 'base64');
    raw[raw.length - 1]! ^= 0x01;
    expect(verifyCosignSignature(payload, raw.toString('base64'), key)).toBe(false);
    expect(verifyCosignSignature(payload, 'not base64!', key)).toBe(false);
    expect(verifyCosignSignature(payload, 'A'.repeat(20_000), key)).toBe(false);
    expect(checkCosignSignature(payload, undefined, DIGEST, key)).toMatchObject({ ok: false, problem: 'malformed' });
  });
});

describe('cosign signature details', () => {
  it('RSA signatures with PSS padding verify too', () => {
    const signer = makeCosignKey('rsa');
    const payload = simpleSigningPayload(DIGEST, 'r/app');
    expect(verifyCosignSignature(payload, signPayload(signer, payload, 'pss'), parsePublicKey(signer.publicPem))).toBe(true);
  });

  it('a validly signed document that is not a simple-signing payload does not count', () => {
    const signer = makeCosignKey('ecdsa');
    const key = parsePublicKey(signer.publicPem);
    const notPayload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': DIGEST }, type: 'something else' } }));
    expect(checkCosignSignature(notPayload, signPayload(signer, notPayload), DIGEST, key)).toMatchObject({ ok: false, problem: 'malformed', reason: expect.stringContaining('type is not') });
    expect(() => parseSimpleSigning(Buffer.from('{"critical":{"type":"cosign container image signature","image":{}}}'))).toThrow(/no critical.image.docker-manifest-digest/);
    expect(() => parseSimpleSigning(Buffer.from('nope'))).toThrow(/not JSON/);
  });

  it('the .sig tag is sha256-<hex>.sig', () => {
    expect(cosignSignatureTag(DIGEST)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
  });

  it('PEM keys cosign does not use, private keys and broken PEM are refused with a reason', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parsePublicKey(p384)).toThrow(/only P-256/);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parsePublicKey(rsa1024)).toThrow(/RSA key of 1024 bits/);
    const priv = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => parsePublicKey(priv)).toThrow(/PRIVATE key/);
    expect(() => parsePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(/does not decode/);
    expect(() => parsePublicKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(/expected one PEM block/);
  });
});
