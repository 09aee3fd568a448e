/**
 * SSHSIG, the signature format of `ssh-keygen -Y sign` (OpenSSH PROTOCOL.sshsig), verified in-process.
 *
 * Armored: "-----BEGIN SSH SIGNATURE-----", base64 of the blob, "-----END SSH SIGNATURE-----".
 * Blob:    byte[6] "SSHSIG", uint32 version (1), string publickey, string namespace,
 *          string reserved, string hash_algorithm ("sha256" | "sha512"), string signature.
 * Signed:  byte[6] "SSHSIG", string namespace, string reserved, string hash_algorithm,
 *          string H(message)  — the key signs this, never the message itself.
 * `signature` is an SSH signature (RFC 4253 §6.6): string algorithm, string blob; ed25519 blobs are
 * 64 raw bytes (RFC 8709), ECDSA blobs are mpint r, mpint s (RFC 5656), RSA blobs PKCS#1 v1.5 with
 * rsa-sha2-256/512 (RFC 8332; SHA-1 "ssh-rsa" signatures are refused as PROTOCOL.sshsig requires).
 *
 * The namespace is checked against the one expected, so an approval signature can never be
 * replayed as a status signature or as a git commit signature made with the same key.
 */
import { createHash, verify as cryptoVerify } from 'node:crypto';
import { publicKeyFromBlob, type PublicKeyInfo } from './public-key.js';
import { SignatureFormatError, WireReader, wireString } from './ssh-wire.js';

const MAGIC = Buffer.from('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
/** An armored RSA-8192 signature is ~2.3 KiB; anything far larger is not a signature. */
const MAX_ARMORED = 16 << 10;

export interface SshSignature {
  publicKey: PublicKeyInfo;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  signatureAlgorithm: string;
  signatureBlob: Buffer;
}

export function parseSshSignature(armored: string): SshSignature {
  if (armored.length > MAX_ARMORED) throw new SignatureFormatError('signature too large');
  const text = armored.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) throw new SignatureFormatError('not an armored SSH signature');
  const b64 = text.slice(BEGIN.length, text.length - END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new SignatureFormatError('SSH signature armor is not base64');
  const r = new WireReader(Buffer.from(b64, 'base64'), 'SSH signature');
  if (!r.bytes(6).equals(MAGIC)) throw new SignatureFormatError('SSH signature: bad magic');
  const version = r.uint32();
  if (version !== 1) throw new SignatureFormatError(`SSH signature version ${version} (only 1 is defined)`);
  const publicKey = publicKeyFromBlob(r.string());
  const namespace = r.text();
  r.string(); // reserved
  const hashAlgorithm = r.text();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new SignatureFormatError(`SSH signature hash ${JSON.stringify(hashAlgorithm.slice(0, 20))}`);
  const sig = new WireReader(r.string(), 'SSH signature blob');
  r.end();
  const signatureAlgorithm = sig.text();
  const signatureBlob = sig.string();
  sig.end();
  return { publicKey, namespace, hashAlgorithm, signatureAlgorithm, signatureBlob };
}

/** The bytes the key actually signed for `message` (PROTOCOL.sshsig, "Signed Data"). */
export function signedData(namespace: string, hashAlgorithm: 'sha256' | 'sha512', message: Buffer): Buffer {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, wireString(namespace), wireString(''), wireString(hashAlgorithm), wireString(digest)]);
}

/**
 * True when `sig` is a valid signature of `message` in `namespace` by the key it embeds. Which key
 * that is, and whether it is trusted, is the caller's question (compare `sig.publicKey.blob`).
 */
export function verifySshSignature(sig: SshSignature, namespace: string, message: Buffer): boolean {
  if (sig.namespace !== namespace) return false;
  const data = signedData(namespace, sig.hashAlgorithm, message);
  const { algorithm, key } = sig.publicKey;
  try {
    if (algorithm === 'ssh-ed25519') {
      return sig.signatureAlgorithm === 'ssh-ed25519' && sig.signatureBlob.length === 64 && cryptoVerify(null, data, key, sig.signatureBlob);
    }
    if (algorithm === 'ecdsa-sha2-nistp256') {
      if (sig.signatureAlgorithm !== 'ecdsa-sha2-nistp256') return false;
      const rs = new WireReader(sig.signatureBlob, 'ECDSA signature');
      const [rr, ss] = [rs.unsignedMpint(), rs.unsignedMpint()];
      rs.end();
      if (rr.length > 32 || ss.length > 32) return false;
      const p1363 = Buffer.concat([Buffer.alloc(32 - rr.length), rr, Buffer.alloc(32 - ss.length), ss]);
      return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, p1363);
    }
    if (algorithm === 'ssh-rsa') {
      const hash = sig.signatureAlgorithm === 'rsa-sha2-512' ? 'sha512' : sig.signatureAlgorithm === 'rsa-sha2-256' ? 'sha256' : undefined;
      return hash !== undefined && cryptoVerify(hash, data, key, sig.signatureBlob);
    }
  } catch {
    // A malformed signature blob (wrong length, bad encoding) is simply not a valid signature.
    return false;
  }
  return false;
}
