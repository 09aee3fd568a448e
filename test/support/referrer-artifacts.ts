/**
 * Referrers as real clients leave them: OCI 1.1 artifacts with `subject` + artifactType pushed by
 * digest, plus the fallback tag `sha256-<hex>` a 1.1 client maintains on a registry without the
 * referrers API (Distribution 2.8: read the tag, append, write), and cosign-style tag images
 * (`sha256-<hex>.sig|.att|.sbom`: no subject, bound by the tag's name).
 */
import { blobOf, buildArtifact, MT, pushImage, randomBlob, serialise, sha256, type BuiltImage, type Descriptor } from './images.js';

export const ART = {
  cosignSig: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  simpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  bundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  spdx: 'application/spdx+json',
  cyclonedx: 'application/vnd.cyclonedx+json',
  dsse: 'application/vnd.dsse.envelope.v1+json',
} as const;

/** An OCI 1.1 referrer of `subject` (any descriptor with mediaType, digest, size). */
export function referrerOf(subject: Descriptor, artifactType: string, payloadMediaType: string = artifactType): BuiltImage {
  return buildArtifact({ subject, artifactType, payload: randomBlob(96), payloadMediaType, annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' } });
}

/** A cosign-style tag image: OCI manifest, tiny config, one layer of `layerType`; no subject. */
export function cosignTagImage(subjectDigest: string, layerType: string = ART.simpleSigning): BuiltImage {
  const payload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': subjectDigest }, type: 'cosign container image signature' }, optional: { n: randomBlob(4).toString('hex') } }));
  const layer = blobOf(payload, layerType);
  const config = blobOf(serialise({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } }), MT.ociConfig);
  const manifest = serialise({
    schemaVersion: 2, mediaType: MT.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } }],
  });
  const digest = sha256(manifest);
  return { kind: 'image', mediaType: MT.ociManifest, manifest, digest, size: manifest.length, config, layers: [layer], descriptor: { mediaType: MT.ociManifest, digest, size: manifest.length } };
}

export function fallbackTagOf(digest: string): string {
  return digest.replace(':', '-');
}

export function cosignTagOf(digest: string, suffix: 'sig' | 'att' | 'sbom'): string {
  return `${fallbackTagOf(digest)}.${suffix}`;
}

/** The descriptor a fallback index lists for a referrer (type, digest, size, artifactType). */
export function listedDescriptor(r: BuiltImage): Descriptor {
  return { mediaType: r.mediaType, digest: r.digest, size: r.size, ...(r.artifactType && { artifactType: r.artifactType }) };
}

/** Reads the fallback tag's entries, or [] when absent. */
export async function fallbackEntries(registryUrl: string, repo: string, subjectDigest: string): Promise<Descriptor[]> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${fallbackTagOf(subjectDigest)}`, { headers: { accept: MT.ociIndex } });
  if (res.status === 404) return [];
  if (res.status !== 200) throw new Error(`fallback tag GET answered ${res.status}`);
  return ((await res.json()) as { manifests: Descriptor[] }).manifests;
}

/** What a 1.1 client does on a 2.8 registry: push the referrer by digest, then read-append-write the fallback tag. */
export async function pushReferrer(registryUrl: string, repo: string, subjectDigest: string, referrer: BuiltImage): Promise<void> {
  await pushImage(registryUrl, repo, undefined, referrer);
  const entries = await fallbackEntries(registryUrl, repo, subjectDigest);
  if (!entries.some((e) => e.digest === referrer.digest)) entries.push(listedDescriptor(referrer));
  await putFallbackIndex(registryUrl, repo, subjectDigest, entries);
}

export async function putFallbackIndex(registryUrl: string, repo: string, subjectDigest: string, entries: Descriptor[]): Promise<void> {
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: entries }));
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${fallbackTagOf(subjectDigest)}`, { method: 'PUT', headers: { 'content-type': MT.ociIndex }, body });
  if (res.status !== 201) throw new Error(`fallback tag PUT answered ${res.status}: ${await res.text()}`);
}

/** Pushes a cosign-style image under `sha256-<hex>.<suffix>`. */
export async function pushCosignTag(registryUrl: string, repo: string, subjectDigest: string, suffix: 'sig' | 'att' | 'sbom', image: BuiltImage): Promise<void> {
  await pushImage(registryUrl, repo, cosignTagOf(subjectDigest, suffix), image);
}

/** HEAD by digest: does the repository hold this manifest? */
export async function hasManifest(registryUrl: string, repo: string, digest: string): Promise<boolean> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${digest}`, { method: 'HEAD', headers: { accept: [MT.ociManifest, MT.ociIndex].join(', ') } });
  return res.status === 200;
}

