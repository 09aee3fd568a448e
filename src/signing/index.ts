/**
 * Signatures over approvals and statuses: OpenSSH public keys (RFC 4253/5656/8709 blobs) and the
 * SSHSIG format of `ssh-keygen -Y sign` (OpenSSH PROTOCOL.sshsig), verified in-process with
 * node:crypto. Signing is left to ssh-keygen, so private keys and agents stay OpenSSH's business.
 * Signatures over images: cosign's simple-signing format with PEM keys (cosign-signature.ts), and
 * keyless Sigstore bundles (keyless.ts).
 */
export { parsePublicKey, publicKeyFromBlob, fingerprintOf, KEY_FORMATS, type KeyFormat, type PublicKeyInfo, type KeyAlgorithm, type SshKeyAlgorithm, type PemKeyAlgorithm } from './public-key.js';
export { parseSshSignature, verifySshSignature, signedData, type SshSignature } from './sshsig.js';
export { signWithSshKeygen, publicKeyOfKeyFile, type SignOptions, type Signed } from './ssh-keygen-signer.js';
export { resolveKey, resolveKeys, checkSignature, type TrustedKey, type SignatureCheck } from './trusted-keys.js';
export { SignatureFormatError } from './ssh-wire.js';
export {
  parseSimpleSigning, verifyCosignSignature, checkCosignSignature, cosignSignatureTag,
  COSIGN_SIMPLE_SIGNING_TYPE, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIGNATURE_ARTIFACT_TYPE, COSIGN_PAYLOAD_TYPE,
  type SimpleSigning, type CosignCheck,
} from './cosign-signature.js';
export { verifySigstoreBundle, type KeylessPolicy, type KeylessVerdict } from './keyless.js';
