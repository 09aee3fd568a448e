/**
 * Public keys that sign approvals and statuses, parsed from the text a topology holds. Formats are
 * tried in turn from KEY_FORMATS, so another format (PEM SubjectPublicKeyInfo) is one more entry:
 * every format yields the same PublicKeyInfo, a node:crypto KeyObject plus what messages show.
 *
 * OpenSSH lines (`ssh-ed25519 AAAA… comment`, RFC 4253 §6.6 / RFC 5656 / RFC 8709 blobs):
 * ssh-ed25519, ecdsa-sha2-nistp256 and ssh-rsa (signed with rsa-sha2-256/512) are accepted.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SignatureFormatError, WireReader } from './ssh-wire.js';

export type KeyAlgorithm = 'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ssh-rsa';

export interface PublicKeyInfo {
  algorithm: KeyAlgorithm;
  /** The SSH wire blob: what an SSHSIG signature embeds, compared byte for byte. */
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

/** Known formats, tried in order. */
export const KEY_FORMATS: KeyFormat[] = [opensshKeyFormat];

export function parsePublicKey(text: string): PublicKeyInfo {
  const format = KEY_FORMATS.find((f) => f.matches(text));
  if (!format) throw new SignatureFormatError(`not a public key this regtopo reads (${KEY_FORMATS.map((f) => f.name).join(', ')})`);
  return format.parse(text);
}

/** An SSH public key blob → its algorithm and KeyObject. */
export function publicKeyFromBlob(blob: Buffer): PublicKeyInfo {
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
