/**
 * Signatures over approvals and statuses: OpenSSH public keys (RFC 4253/5656/8709 blobs) and the
 * SSHSIG format of `ssh-keygen -Y sign` (OpenSSH PROTOCOL.sshsig), verified in-process with
 * node:crypto. Signing is left to ssh-keygen, so private keys and agents stay OpenSSH's business.
 */
export { parsePublicKey, publicKeyFromBlob, fingerprintOf, KEY_FORMATS, type KeyFormat, type PublicKeyInfo, type KeyAlgorithm } from './public-key.js';
export { parseSshSignature, verifySshSignature, signedData, type SshSignature } from './sshsig.js';
export { signWithSshKeygen, publicKeyOfKeyFile, type SignOptions, type Signed } from './ssh-keygen-signer.js';
export { resolveKey, resolveKeys, checkSignature, type TrustedKey, type SignatureCheck } from './trusted-keys.js';
export { SignatureFormatError } from './ssh-wire.js';
