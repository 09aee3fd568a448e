/**
 * The topology's `keys:` made usable: each name resolved to a parsed public key (inline keys as
 * written, key files read now), and the question every count asks: which named key, if any, made
 * this signature over this message? The answer names the signer; nothing the record says about
 * itself (a `by` field) is believed.
 */
import { readFileSync } from 'node:fs';
import { RegtopoError } from '../errors.js';
import type { KeySpec } from '../topology/model.js';
import { parsePublicKey, type PublicKeyInfo } from './public-key.js';
import { parseSshSignature, verifySshSignature } from './sshsig.js';

export interface TrustedKey extends PublicKeyInfo {
  name: string;
}

/** Key files are small; a multi-megabyte "key" is a mistake, not a key. */
const MAX_KEY_FILE = 64 << 10;

/** Parses one key spec; E_CONFIG naming the key and its file when it cannot be used. */
export function resolveKey(spec: KeySpec): TrustedKey {
  let text = spec.key;
  const where = spec.file ? `keys.${spec.name} (file ${spec.fileAsWritten ?? spec.file})` : `keys.${spec.name}`;
  if (spec.file) {
    try {
      const buf = readFileSync(spec.file);
      if (buf.length > MAX_KEY_FILE) throw new Error(`larger than ${MAX_KEY_FILE} bytes`);
      const content = buf.toString('utf8');
      // A PEM file (cosign.pub) is one multi-line block; a .pub file holds one line, and
      // authorized_keys-style files may hold comments first.
      text = content.trimStart().startsWith('-----BEGIN ') ? content.trim() : content.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new RegtopoError('E_CONFIG', `${where}: cannot read ${spec.file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  if (!text) throw new RegtopoError('E_CONFIG', `${where}: no public key in it`);
  try {
    return { name: spec.name, ...parsePublicKey(text) };
  } catch (err) {
    throw new RegtopoError('E_CONFIG', `${where}: ${(err as Error).message}`);
  }
}

/** Every key of the topology, resolved; the first unusable key is an E_CONFIG error. */
export function resolveKeys(keys: Record<string, KeySpec> | undefined): Map<string, TrustedKey> {
  const out = new Map<string, TrustedKey>();
  for (const spec of Object.values(keys ?? {})) out.set(spec.name, resolveKey(spec));
  return out;
}

export interface SignatureCheck {
  /** The named keys (all names bound to the signing key) whose signature this is; empty = none. */
  signers: TrustedKey[];
  /** The signing key's fingerprint when the signature parsed at all (even if no listed key made it). */
  fingerprint?: string;
  /** Why it does not count, when it does not. */
  problem?: string;
}

/**
 * Checks `armored` over `message` in `namespace` against the trusted keys (optionally only those in
 * `allowed`). A signature is attributed only when it verifies and its key is byte-identical to a
 * listed key.
 */
export function checkSignature(armored: unknown, namespace: string, message: Buffer, keys: Map<string, TrustedKey>, allowed?: readonly string[]): SignatureCheck {
  if (typeof armored !== 'string' || armored.length === 0) return { signers: [], problem: 'unsigned' };
  let sig;
  try {
    sig = parseSshSignature(armored);
  } catch (err) {
    return { signers: [], problem: `signature unreadable: ${(err as Error).message}` };
  }
  const fingerprint = sig.publicKey.fingerprint;
  if (!verifySshSignature(sig, namespace, message)) return { signers: [], fingerprint, problem: `signature by ${fingerprint} does not verify` };
  const signers = [...keys.values()].filter((k) => k.blob.equals(sig.publicKey.blob) && (!allowed || allowed.includes(k.name)));
  if (signers.length === 0) return { signers, fingerprint, problem: `signed by ${fingerprint}, which is not ${allowed ? `one of ${allowed.join(', ')}` : 'a key in the topology'}` };
  return { signers, fingerprint };
}
