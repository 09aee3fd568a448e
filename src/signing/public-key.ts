/**
 * Public keys that sign approvals, statuses and images, parsed from the text a topology holds.
 * Formats are tried in turn from KEY_FORMATS: every format yields the same PublicKeyInfo, a
 * node:crypto KeyObject plus what messages show.
 *
 * OpenSSH lines (`ssh-ed25519 AAAA… comment`, RFC 4253 §6.6 / RFC 5656 / RFC 8709 blobs):
 * ssh-ed25519, ecdsa-sha2-nistp256 and ssh-rsa (signed with rsa-sha2-256/512) are accepted.
 * PEM SubjectPublicKeyInfo (RFC 7468 "PUBLIC KEY", RFC 5280 §4.1.2.7), the form of cosign's
 * `cosign.pub`: ECDSA P-256, Ed25519 and RSA (≥ 2048 bits) are accepted.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SignatureFormatError, WireReader } from './ssh-wire.js';

export type SshKeyAlgorithm = 'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ssh-rsa';
/** PEM keys are named by what they are, not by an SSH wire name they never had. */
export type PemKeyAlgorithm = 'ecdsa-p256' | 'ed25519' | 'rsa';
export type KeyAlgorithm = SshKeyAlgorithm | PemKeyAlgorithm;

export interface PublicKeyInfo {
  algorithm: KeyAlgorithm;
  /**
   * The SSH wire blob (what an SSHSIG signature embeds, compared byte for byte); for a PEM key its
   * SPKI DER, which no SSH signature can embed, so a PEM key never attributes an SSH signature.
   */
  blob: Buffer;
  key: KeyObject;
  /** `SHA256:…` as ssh-keygen -l prints it. */
  fingerprint: string;
  comment?: string;
}

export interface KeyFormat {
  name: string;
  /** True when `text` looks like this format (parse then decides whether it is valid). */
  matches(text: string): boolean;
  parse(text: string): PublicKeyInfo;
}

const OPENSSH_LINE = /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*))?$/;

export const opensshKeyFormat: KeyFormat = {
  name: 'OpenSSH public key',
  matches: (text) => /^(ssh-|ecdsa-sha2-|sk-)/.test(text.trim()),
  parse(text) {
    const m = OPENSSH_LINE.exec(text.trim());
    if (!m) throw new SignatureFormatError('expected one OpenSSH public key line: ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa, then base64');
    const blob = Buffer.from(m[2]!, 'base64');
    const info = publicKeyFromBlob(blob);
    if (info.algorithm !== m[1]) throw new SignatureFormatError(`key line says ${m[1]} but its blob is ${info.algorithm}`);
    return { ...info, ...(m[3] ? { comment: m[3].trim() } : {}) };
  },
};

const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\s]+?)-----END PUBLIC KEY-----$/;

export const pemKeyFormat: KeyFormat = {
  name: 'PEM public key',
  matches: (text) => text.trim().startsWith('-----BEGIN '),
  parse(text) {
    const trimmed = text.trim();
    if (trimmed.includes('PRIVATE KEY-----')) {
      throw new SignatureFormatError('this is a PRIVATE key: put only the public key (cosign.pub) in the topology');
    }
    const m = PEM_PUBLIC_KEY.exec(trimmed);
    if (!m) throw new SignatureFormatError('expected one PEM block "-----BEGIN PUBLIC KEY-----" … "-----END PUBLIC KEY-----" (SubjectPublicKeyInfo, as in cosign.pub)');
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    let key: KeyObject;
    try {
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      // OpenSSL's own words ("asn1 encoding routines::too long") help nobody editing a topology.
      throw new SignatureFormatError('PEM public key does not decode: not a complete SubjectPublicKeyInfo (truncated, or not a public key)');
    }
    const algorithm = pemAlgorithm(key);
    return { algorithm, blob: key.export({ format: 'der', type: 'spki' }), key, fingerprint: fingerprintOf(der) };
  },
};

function pemAlgorithm(key: KeyObject): PemKeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve !== 'prime256v1') throw new SignatureFormatError(`ECDSA key on curve ${details.namedCurve ?? 'unknown'}: only P-256 (cosign's default) is accepted`);
    return 'ecdsa-p256';
  }
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) throw new SignatureFormatError(`RSA key of ${details.modulusLength} bits: at least 2048 are needed`);
    return 'rsa';
  }
  throw new SignatureFormatError(`unsupported PEM key type ${key.asymmetricKeyType ?? 'unknown'} (ECDSA P-256, Ed25519, RSA)`);
}

/** Known formats, tried in order. */
export const KEY_FORMATS: KeyFormat[] = [opensshKeyFormat, pemKeyFormat];

export function parsePublicKey(text: string): PublicKeyInfo {
  const format = KEY_FORMATS.find((f) => f.matches(text));
  if (!format) throw new SignatureFormatError(`not a public key this regtopo reads (${KEY_FORMATS.map((f) => f.name).join(', ')})`);
  return format.parse(text);
}

/** An SSH public key blob → its algorithm and KeyObject. */
export function publicKeyFromBlob(blob: Buffer): PublicKeyInfo & { algorithm: SshKeyAlgorithm } {
  const r = new WireReader(blob, 'public key');
  const algorithm = r.text();
  let key: KeyObject;
  if (algorithm === 'ssh-ed25519') {
    const x = r.string();
    if (x.length !== 32) throw new SignatureFormatError('ed25519 public key must be 32 bytes');
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') }, format: 'jwk' });
  } else if (algorithm === 'ecdsa-sha2-nistp256') {
    if (r.text() !== 'nistp256') throw new SignatureFormatError('ecdsa key curve does not match its algorithm');
    const q = r.string();
    if (q.length !== 65 || q[0] !== 0x04) throw new SignatureFormatError('P-256 public key must be an uncompressed point');
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: q.subarray(1, 33).toString('base64url'), y: q.subarray(33).toString('base64url') }, format: 'jwk' });
  } else if (algorithm === 'ssh-rsa') {
    const e = r.unsignedMpint();
    const n = r.unsignedMpint();
    if (n.length * 8 < 2048) throw new SignatureFormatError(`RSA key of ${n.length * 8} bits: at least 2048 are needed`);
    key = createPublicKey({ key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
  } else {
    throw new SignatureFormatError(`unsupported key type ${JSON.stringify(algorithm.slice(0, 40))} (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa)`);
  }
  r.end();
  return { algorithm, blob, key, fingerprint: fingerprintOf(blob) };
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
