/**
 * Finding the signatures of one image digest in a repository, for the signature gates:
 *  - cosign's tag scheme: the manifest under `sha256-<hex>.sig`, each simple-signing layer one
 *    signature (sigstore/cosign "Signature Specification");
 *  - OCI 1.1 referrers (distribution-spec "listing referrers", the API or the fallback tag):
 *    cosign signatures with artifactType application/vnd.dev.cosign.artifact.sig.v1+json, and
 *    Sigstore bundles (application/vnd.dev.sigstore.bundle.v0.3+json) for keyless gates.
 *
 * Nothing found here is trusted yet: this only reads, digest-verified and capped. What a registry
 * serves is hostile, so a malformed or oversized signature artifact is skipped with a note (it simply
 * does not count) and the counts of manifests and layers read are bounded.
 */
import { RegtopoError } from '../../errors.js';
import { parseManifest, type Descriptor } from '../../registry/descriptor.js';
import { listReferrers } from '../../registry/referrers.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIGNATURE_ARTIFACT_TYPE, COSIGN_SIMPLE_SIGNING_TYPE, cosignSignatureTag } from '../../signing/cosign-signature.js';
import { readBounded } from '../../transport/bounded-body.js';

export const SIGSTORE_BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** A simple-signing payload is a few hundred bytes; cosign's `-a` annotations add a little. */
const PAYLOAD_LIMIT = 256 << 10;
/** A bundle (certificate chain, log entry, signature) is a few KiB. */
const BUNDLE_LIMIT = 1 << 20;
/** cosign appends one layer per `cosign sign`; a manifest with more is not honest signing. */
const MAX_LAYERS_PER_MANIFEST = 32;
const MAX_REFERRERS_PER_KIND = 32;

/** Content problems that make one artifact not count; anything else (network, auth) fails the read. */
const SKIPPED_CODES = new Set(['E_NOT_FOUND', 'E_MANIFEST_INVALID', 'E_CONTENT_INVALID', 'E_DIGEST_MISMATCH', 'E_SIZE_MISMATCH', 'E_MANIFEST_TOO_LARGE', 'E_MANIFEST_UNSUPPORTED']);

export interface CosignSignatureLayer {
  /** The payload's exact bytes (what was signed), digest-verified against its descriptor. */
  payload: Buffer;
  /** The base64 signature from the layer annotation, if any. */
  signature?: string;
  layerDigest: string;
}

export interface CosignSignatureManifest {
  /** The signature manifest's digest: the evidence a gate cites. */
  digest: string;
  source: 'sig-tag' | 'referrer';
  layers: CosignSignatureLayer[];
}

export interface SigstoreBundleArtifact {
  /** The bundle referrer's manifest digest. */
  digest: string;
  bundle: unknown;
}

export interface SignatureEvidence {
  /** The `.sig` tag manifest first, then referrers by digest. */
  cosign: CosignSignatureManifest[];
  bundles: SigstoreBundleArtifact[];
  /** Artifacts that could not be read or are not what they claim, one line each. */
  skipped: string[];
}

export interface SignatureWants {
  cosign: boolean;
  bundles: boolean;
}

/**
 * Reads the signature artifacts of `digest` in `repo`. `tags` is the repository's tag list, already
 * fetched by the caller: the `.sig` tag costs a request only when it exists.
 */
export async function findSignatureEvidence(repo: RegistryRepository, digest: string, tags: readonly string[], wants: SignatureWants): Promise<SignatureEvidence> {
  const evidence: SignatureEvidence = { cosign: [], bundles: [], skipped: [] };
  const skip = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (err instanceof RegtopoError && SKIPPED_CODES.has(err.code)) {
        evidence.skipped.push(`${what}: ${err.message}`);
        return undefined;
      }
      throw err;
    }
  };

  const sigTag = cosignSignatureTag(digest);
  if (wants.cosign && tags.includes(sigTag)) {
    const found = await skip(`${repo.description}:${sigTag}`, () => readCosignManifest(repo, sigTag, undefined, digest, 'sig-tag', evidence.skipped));
    if (found) evidence.cosign.push(found);
  }
  const { referrers } = await listReferrers(repo, digest, undefined, { onInvalidReferrer: (raw) => evidence.skipped.push(`referrer entry ${raw}: not a descriptor`) });
  const ofType = (type: string) => dedupe(referrers.filter((d) => d.artifactType === type)).sort((a, b) => a.digest.localeCompare(b.digest)).slice(0, MAX_REFERRERS_PER_KIND);
  if (wants.cosign) {
    for (const desc of ofType(COSIGN_SIGNATURE_ARTIFACT_TYPE)) {
      if (evidence.cosign.some((m) => m.digest === desc.digest)) continue;
      const found = await skip(`${repo.description}@${desc.digest}`, () => readCosignManifest(repo, desc.digest, desc, digest, 'referrer', evidence.skipped));
      if (found) evidence.cosign.push(found);
    }
  }
  if (wants.bundles) {
    for (const desc of ofType(SIGSTORE_BUNDLE_TYPE)) {
      const found = await skip(`${repo.description}@${desc.digest}`, () => readBundle(repo, desc, digest));
      if (found) evidence.bundles.push(found);
    }
  }
  return evidence;
}

async function readCosignManifest(
  repo: RegistryRepository, reference: string, pointer: Descriptor | undefined, subject: string, source: CosignSignatureManifest['source'], skipped: string[],
): Promise<CosignSignatureManifest> {
  const where = `${repo.description}${pointer ? '@' : ':'}${reference}`;
  const raw = await repo.getManifest(reference);
  const parsed = parseManifest(raw, where, pointer);
  if (parsed.kind !== 'image') throw new RegtopoError('E_CONTENT_INVALID', `${where}: a cosign signature is an image manifest, this is an index`);
  // A referrer names its subject; a `.sig` tag is bound by its name. Either way the payload decides.
  if (source === 'referrer' && parsed.subject?.digest !== subject) throw new RegtopoError('E_CONTENT_INVALID', `${where}: listed as a referrer of ${subject} but its subject is ${parsed.subject?.digest ?? 'absent'}`);
  const signatureLayers = parsed.layers.filter((l) => l.mediaType === COSIGN_SIMPLE_SIGNING_TYPE);
  if (signatureLayers.length > MAX_LAYERS_PER_MANIFEST) skipped.push(`${where}: ${signatureLayers.length} signature layers, only the first ${MAX_LAYERS_PER_MANIFEST} read`);
  const layers: CosignSignatureLayer[] = [];
  for (const layer of signatureLayers.slice(0, MAX_LAYERS_PER_MANIFEST)) {
    if (layer.size > PAYLOAD_LIMIT) {
      skipped.push(`${where}: signature payload ${layer.digest} is ${layer.size} bytes (limit ${PAYLOAD_LIMIT})`);
      continue;
    }
    const payload = await readBlob(repo, layer, PAYLOAD_LIMIT, `signature payload ${layer.digest} of ${where}`);
    const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
    layers.push({ payload, layerDigest: layer.digest, ...(signature !== undefined ? { signature } : {}) });
  }
  return { digest: raw.digest, source, layers };
}

async function readBundle(repo: RegistryRepository, pointer: Descriptor, subject: string): Promise<SigstoreBundleArtifact> {
  const where = `${repo.description}@${pointer.digest}`;
  const raw = await repo.getManifest(pointer.digest);
  const parsed = parseManifest(raw, where, pointer);
  if (parsed.kind !== 'image') throw new RegtopoError('E_CONTENT_INVALID', `${where}: a Sigstore bundle referrer is an image manifest, this is an index`);
  if (parsed.subject?.digest !== subject) throw new RegtopoError('E_CONTENT_INVALID', `${where}: listed as a referrer of ${subject} but its subject is ${parsed.subject?.digest ?? 'absent'}`);
  const layer = parsed.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_TYPE) ?? (parsed.layers.length === 1 ? parsed.layers[0] : undefined);
  if (!layer) throw new RegtopoError('E_CONTENT_INVALID', `${where}: no ${SIGSTORE_BUNDLE_TYPE} layer`);
  if (layer.size > BUNDLE_LIMIT) throw new RegtopoError('E_CONTENT_INVALID', `${where}: bundle is ${layer.size} bytes (limit ${BUNDLE_LIMIT})`);
  const bytes = await readBlob(repo, layer, BUNDLE_LIMIT, `bundle ${layer.digest} of ${where}`);
  try {
    return { digest: raw.digest, bundle: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    throw new RegtopoError('E_CONTENT_INVALID', `${where}: bundle is not JSON`);
  }
}

/** One blob, verified against its descriptor (openBlob) and capped (readBounded). */
async function readBlob(repo: RegistryRepository, desc: Descriptor, limit: number, what: string): Promise<Buffer> {
  return readBounded(await repo.openBlob(desc), limit, what, { code: 'E_CONTENT_INVALID', declaredLength: desc.size });
}

function dedupe(descs: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descs.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
}
