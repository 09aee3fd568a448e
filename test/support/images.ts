/**
 * Test content built in memory: random blobs, images (OCI or Docker flavour), indexes and manifest
 * lists, and referrer artifacts. Manifests are serialised in a deliberately unusual but valid JSON
 * form (3-space indent, trailing newline), so any re-serialisation on the way through regtopo changes
 * the digest and fails a test. Pushing and raw reads live in seed-client.ts, re-exported here.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

export { allBlobs, pushImage, rawGetBlob, rawGetManifest, type RawManifest, type SeedOptions } from './seed-client.js';

export type Flavour = 'oci' | 'docker';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface BuiltImage {
  kind: 'image';
  mediaType: string;
  /** The exact bytes to push; their sha256 is `digest`. */
  manifest: Buffer;
  digest: string;
  size: number;
  config: Blob;
  layers: Blob[];
  /** Listed on this image's entry when it goes into an index; absent for artifacts. */
  platform?: Platform;
  artifactType?: string;
  descriptor: Descriptor;
}

export interface BuiltIndex {
  kind: 'index';
  mediaType: string;
  manifest: Buffer;
  digest: string;
  size: number;
  children: Built[];
  descriptor: Descriptor;
}

export type Built = BuiltImage | BuiltIndex;

export interface ImageSpec {
  /** Layer sizes in bytes; [] makes a zero-layer image. */
  layers?: number[];
  mediaTypeFlavour?: Flavour;
  platform?: Platform;
  labels?: Record<string, string>;
  /** Same seed, same bytes; without one every build is unique. */
  seed?: string;
  annotations?: Record<string, string>;
  /** The config's `created` (ISO 8601); default 2024-01-01T00:00:00Z. */
  created?: string;
}

export interface ArtifactSpec {
  subject: Descriptor;
  artifactType: string;
  payload?: Buffer;
  payloadMediaType?: string;
  annotations?: Record<string, string>;
}

/** The OCI empty descriptor's content: the two bytes `{}`. */
export const EMPTY_JSON = Buffer.from('{}');

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Deterministic for a seed (AES-CTR keystream: fast for many megabytes), random without one. */
export function randomBlob(size: number, seed?: string): Buffer {
  if (seed === undefined) return randomBytes(size);
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/** 3-space indentation and a trailing newline: valid JSON that no library emits by default. */
export function serialise(doc: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(doc, null, 3)}\n`);
}

export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

export function buildImage(spec: ImageSpec = {}): BuiltImage {
  const flavour = spec.mediaTypeFlavour ?? 'oci';
  const seed = spec.seed ?? randomBytes(8).toString('hex');
  const layerType = flavour === 'oci' ? MT.ociLayer : MT.dockerLayer;
  const layers = (spec.layers ?? [1024]).map((size, i) => blobOf(randomBlob(size, `${seed}/layer/${i}`), layerType));
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const configDoc = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: spec.created ?? '2024-01-01T00:00:00Z',
    config: { Labels: spec.labels ?? {} },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    // The seed makes zero-layer images with the same labels distinct unless asked to be identical.
    history: [{ created: '2024-01-01T00:00:00Z', created_by: `regtopo-test ${seed}`, empty_layer: true }],
  };
  const config = blobOf(serialise(configDoc), flavour === 'oci' ? MT.ociConfig : MT.dockerConfig);
  const mediaType = flavour === 'oci' ? MT.ociManifest : MT.dockerManifest;
  const manifest = serialise({
    schemaVersion: 2,
    mediaType,
    config: plainDescriptor(config),
    layers: layers.map(plainDescriptor),
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
  });
  return finishImage({ mediaType, manifest, config, layers, platform });
}

export function buildZeroLayerImage(flavour: Flavour = 'oci', seed?: string): BuiltImage {
  return buildImage({ layers: [], mediaTypeFlavour: flavour, seed });
}

/** An OCI image index, or a Docker manifest list when flavour is 'docker'. */
export function buildIndex(children: Built[], flavour: Flavour = 'oci', annotations?: Record<string, string>): BuiltIndex {
  const mediaType = flavour === 'oci' ? MT.ociIndex : MT.dockerList;
  const manifest = serialise({
    schemaVersion: 2,
    mediaType,
    // Platform goes on the index entry, not on the image's own descriptor (a subject carries none).
    manifests: children.map((c) => (c.kind === 'image' && c.platform ? { ...c.descriptor, platform: c.platform } : c.descriptor)),
    ...(annotations ? { annotations } : {}),
  });
  const digest = sha256(manifest);
  return {
    kind: 'index',
    mediaType,
    manifest,
    digest,
    size: manifest.length,
    children,
    descriptor: { mediaType, digest, size: manifest.length },
  };
}

/** A referrer (OCI 1.1): empty config, one small payload layer, `subject` pointing at the target. */
export function buildArtifact(spec: ArtifactSpec): BuiltImage {
  const config = blobOf(EMPTY_JSON, MT.ociEmpty);
  const payload = blobOf(spec.payload ?? randomBlob(64), spec.payloadMediaType ?? 'application/vnd.regtopo.test.payload');
  const subject = plainDescriptor(spec.subject);
  const manifest = serialise({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    artifactType: spec.artifactType,
    config: plainDescriptor(config),
    layers: [plainDescriptor(payload)],
    subject,
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
  });
  return finishImage({ mediaType: MT.ociManifest, manifest, config, layers: [payload], artifactType: spec.artifactType });
}

function finishImage(parts: {
  mediaType: string;
  manifest: Buffer;
  config: Blob;
  layers: Blob[];
  platform?: Platform;
  artifactType?: string;
}): BuiltImage {
  const digest = sha256(parts.manifest);
  const descriptor: Descriptor = { mediaType: parts.mediaType, digest, size: parts.manifest.length };
  if (parts.artifactType) descriptor.artifactType = parts.artifactType;
  return { kind: 'image', ...parts, digest, size: parts.manifest.length, descriptor };
}

function plainDescriptor(d: { mediaType: string; digest: string; size: number }): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** A fresh repository name, so tests sharing a registry never see each other's content. */
export function uniqueRepo(prefix = 'test'): string {
  return `${prefix}/${randomBytes(4).toString('hex')}`;
}
