/**
 * Keyless Sigstore bundles made offline for the tests (sigstore protobuf-specs: Bundle v0.3,
 * TrustedRoot v0.1; cosign's BUNDLE_SPEC for how a bundle hangs off an image as an OCI 1.1 referrer).
 *
 * The PKI is the sigstore project's own test doubles from @sigstore/mock: a Fulcio-like CA (root
 * certificate, leaf certificates with the OIDC-issuer extension and a URI SAN, an SCT from a CT log)
 * and a Rekor-like transparency log (SET and a one-leaf inclusion proof with a signed checkpoint).
 * The modules are imported by path: the package's index also loads nock, which patches node:http
 * for the whole process. What @sigstore/mock leaves to its HTTP handlers (the DSSE entry body, the
 * bundle and the trusted root) is assembled here, in the shapes Fulcio, Rekor and cosign produce.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { initializeCA, type CA } from '@sigstore/mock/dist/fulcio/ca.js';
import { initializeCTLog } from '@sigstore/mock/dist/fulcio/ctlog.js';
import { initializeTLog, type TLog } from '@sigstore/mock/dist/rekor/tlog.js';
import type { Descriptor } from '../../src/registry/descriptor.js';
import { parseManifest } from '../../src/registry/descriptor.js';
import { fallbackTag } from '../../src/registry/referrers.js';
import type { RegistryRepository } from '../../src/registry/registry-repository.js';
import { RegtopoError } from '../../src/errors.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const RELEASE_WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const IN_TOTO = 'application/vnd.in-toto+json';
const HOUR = 3_600_000;

export interface SignImageOptions {
  /** The image digest the in-toto statement's subject names. */
  digest: string;
  issuer?: string;
  /** The certificate's URI SAN. */
  subject?: string;
  predicateType?: string;
  /** Only the legacy (1.3.6.1.4.1.57264.1.1, raw string) issuer extension, as older Fulcio wrote. */
  legacyIssuer?: boolean;
  /** Sign with a key other than the certificate's; the log records that signature as it is. */
  wrongKey?: boolean;
  /** Log the entry in a transparency log that is not in the trusted root. */
  unknownLog?: boolean;
  /** The statement's subject name (cosign writes the repository). */
  name?: string;
}

export interface SigstoreTestPki {
  /** trusted_root.json, parsed: this PKI's CA, CT log and transparency log. */
  trustedRoot: Record<string, unknown>;
  /** A cosign-v3-style image signature: DSSE in-toto statement, certificate, one tlog entry. */
  signImage(options: SignImageOptions): Promise<Record<string, unknown>>;
}

const bytesOf = (view: ArrayBufferView): Buffer => Buffer.from(view.buffer, view.byteOffset, view.byteLength);
const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64');
const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

function keyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function spki(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

/** DSSE pre-authentication encoding (DSSE spec, protocol.md). */
function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

function logInstance(baseUrl: string, publicKey: Buffer, start: Date): Record<string, unknown> {
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: start.toISOString() } },
    logId: { keyId: b64(createHash('sha256').update(publicKey).digest()) },
  };
}

/** A fresh CA, CT log and transparency log (P-256 keys), and the trusted root naming them. */
export async function createSigstorePki(name = 'regtopo-test'): Promise<SigstoreTestPki> {
  const rekorUrl = `https://rekor.${name}.invalid`;
  const ctKeys = keyPair();
  const ca: CA = await initializeCA(keyPair(), await initializeCTLog(ctKeys));
  const tlog: TLog = await initializeTLog(rekorUrl, keyPair());
  const strayLog: TLog = await initializeTLog(rekorUrl, keyPair());
  const start = new Date(Date.now() - HOUR);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logInstance(rekorUrl, tlog.publicKey, start)],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: `https://fulcio.${name}.invalid`,
      certChain: { certificates: [{ rawBytes: b64(bytesOf(ca.rootCertificate)) }] },
      validFor: { start: start.toISOString() },
    }],
    ctlogs: [logInstance(`https://ctfe.${name}.invalid`, spki(ctKeys.publicKey), start)],
    timestampAuthorities: [],
  };

  async function signImage(options: SignImageOptions): Promise<Record<string, unknown>> {
    const issuer = options.issuer ?? GITHUB_ISSUER;
    const ephemeral = keyPair();
    const certDer = bytesOf(await ca.issueCertificate({
      publicKey: new Uint8Array(spki(ephemeral.publicKey)),
      subjectAltName: options.subject ?? RELEASE_WORKFLOW,
      extensions: options.legacyIssuer ? [{ oid: OID_ISSUER_V1, value: issuer, legacy: true }] : [{ oid: OID_ISSUER_V2, value: issuer }],
    }));
    const [algorithm, hex] = options.digest.split(':');
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: options.name ?? 'registry.example/acme/app', digest: { [algorithm]: hex } }],
      predicateType: options.predicateType ?? COSIGN_SIGN_PREDICATE,
      predicate: {},
    };
    const payload = Buffer.from(JSON.stringify(statement));
    const signature = sign('sha256', pae(IN_TOTO, payload), options.wrongKey ? keyPair().privateKey : ephemeral.privateKey);
    const envelope = { payload: b64(payload), payloadType: IN_TOTO, signatures: [{ sig: b64(signature), keyid: '' }] };
    // Rekor's stored body of a dsse v0.0.1 entry: hashes of the envelope and payload, the signature
    // and its verifier (the PEM certificate).
    const pem = `-----BEGIN CERTIFICATE-----\n${b64(certDer).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256Hex(JSON.stringify(envelope)) },
        payloadHash: { algorithm: 'sha256', value: sha256Hex(payload) },
        signatures: [{ signature: b64(signature), verifier: b64(pem) }],
      },
    };
    const logged = Object.values(await (options.unknownLog ? strayLog : tlog).log(body))[0] as {
      body: string; integratedTime: number; logID: string; logIndex: number;
      verification: { signedEntryTimestamp: string; inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string } };
    };
    const proof = logged.verification.inclusionProof;
    return {
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: {
        certificate: { rawBytes: b64(certDer) },
        tlogEntries: [{
          logIndex: String(logged.logIndex),
          logId: { keyId: b64(Buffer.from(logged.logID, 'hex')) },
          kindVersion: { kind: 'dsse', version: '0.0.1' },
          integratedTime: String(logged.integratedTime),
          inclusionPromise: { signedEntryTimestamp: logged.verification.signedEntryTimestamp },
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: b64(Buffer.from(proof.rootHash, 'hex')),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes,
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: logged.body,
        }],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      dsseEnvelope: envelope,
    };
  }

  return { trustedRoot, signImage };
}

const EMPTY_JSON = Buffer.from('{}');
const EMPTY_DESCRIPTOR: Descriptor = { mediaType: 'application/vnd.oci.empty.v1+json', digest: `sha256:${sha256Hex(EMPTY_JSON)}`, size: 2 };

async function pushBlob(repo: RegistryRepository, desc: Descriptor, bytes: Buffer): Promise<void> {
  if (!(await repo.hasBlob(desc))) await repo.putBlob(desc, async () => Readable.from([bytes]));
}

/**
 * Pushes `bundle` as an OCI 1.1 referrer of `subject` (cosign BUNDLE_SPEC: empty config, one layer
 * of the bundle media type holding the JSON) and, as a 1.1 client does on a registry without the
 * referrers API, adds it to the fallback tag's index. Returns the referrer's descriptor.
 */
export async function pushBundleReferrer(repo: RegistryRepository, subject: Descriptor, bundle: unknown): Promise<Descriptor> {
  const json = Buffer.from(JSON.stringify(bundle));
  const layer: Descriptor = { mediaType: BUNDLE_MEDIA_TYPE, digest: `sha256:${sha256Hex(json)}`, size: json.length };
  const annotations = { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': COSIGN_SIGN_PREDICATE };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: BUNDLE_MEDIA_TYPE,
    config: EMPTY_DESCRIPTOR,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  }));
  const referrer: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha256Hex(manifest)}`, size: manifest.length, artifactType: BUNDLE_MEDIA_TYPE, annotations };
  await pushBlob(repo, EMPTY_DESCRIPTOR, EMPTY_JSON);
  await pushBlob(repo, layer, json);
  await repo.putManifest(referrer.digest, { bytes: manifest, mediaType: referrer.mediaType, digest: referrer.digest });
  await addToFallbackIndex(repo, subject.digest, referrer);
  return referrer;
}

/** Read, merge, write of the `<alg>-<hex>` index (distribution-spec, "pushing manifests with subject"). */
async function addToFallbackIndex(repo: RegistryRepository, subject: string, referrer: Descriptor): Promise<void> {
  const tag = fallbackTag(subject);
  let manifests: Descriptor[] = [];
  try {
    const parsed = parseManifest(await repo.getManifest(tag), `${repo.description}:${tag}`);
    if (parsed.kind === 'index') manifests = parsed.manifests;
  } catch (err) {
    if (!(err instanceof RegtopoError && err.code === 'E_NOT_FOUND')) throw err;
  }
  if (manifests.some((d) => d.digest === referrer.digest)) return;
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [...manifests, referrer] }));
  await repo.putManifest(tag, { bytes: index, mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${sha256Hex(index)}` });
}
