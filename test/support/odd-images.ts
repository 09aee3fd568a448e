/**
 * Content a well-behaved builder never makes, for the tests that prove regtopo refuses or handles it:
 * manifests rewritten after building (lying sizes, contradicting media types), images with foreign /
 * non-distributable layers, and Docker schema 1 documents as an old registry serves them.
 */
import { randomBytes } from 'node:crypto';
import type { FaultProxy } from './fault-proxy.js';
import { blobOf, randomBlob, serialise, sha256, type Blob, type Built, type BuiltImage } from './images.js';

/** The same image or index with its manifest document changed (and its digest recomputed). */
export function rewrite<T extends Built>(built: T, change: (doc: any) => void): T {
  const doc = JSON.parse(built.manifest.toString('utf8'));
  change(doc);
  const manifest = serialise(doc);
  const digest = sha256(manifest);
  return { ...built, manifest, digest, size: manifest.length, descriptor: { ...built.descriptor, digest, size: manifest.length } };
}

export const FOREIGN_TYPES = {
  docker: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  oci: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export interface ForeignImage {
  /** The image whose manifest lists the foreign layer; its blobs (allBlobs) leave the foreign one out. */
  image: BuiltImage;
  /** The same image, but with the foreign layer among its blobs: a source that holds it. */
  withForeignBlob: BuiltImage;
  foreign: Blob;
}

/** An image with one ordinary layer and one non-distributable layer that carries `urls`. */
export function imageWithForeignLayer(base: BuiltImage, flavour: keyof typeof FOREIGN_TYPES): ForeignImage {
  const foreign = blobOf(randomBlob(5000), FOREIGN_TYPES[flavour]);
  const image = rewrite(base, (doc) => {
    doc.layers.push({ mediaType: foreign.mediaType, digest: foreign.digest, size: foreign.size, urls: [`https://layers.example.com/${foreign.digest}`] });
  });
  return { image, withForeignBlob: { ...image, layers: [...image.layers, foreign] }, foreign };
}

/**
 * A signed schema 1 manifest as Distribution serves one: the signature is made fresh on every read,
 * so its bytes (and their digest) differ each time.
 */
export function schema1Body(repo: string, tag: string): () => Buffer {
  return () => Buffer.from(JSON.stringify({
    schemaVersion: 1,
    name: repo,
    tag,
    architecture: 'amd64',
    fsLayers: [{ blobSum: sha256(Buffer.from('layer')) }],
    history: [{ v1Compatibility: '{"id":"x"}' }],
    signatures: [{ header: { alg: 'ES256' }, signature: randomBytes(32).toString('base64url'), protected: randomBytes(16).toString('base64url') }],
  }, null, 3));
}

/** Requests that wrote or started writing anything: upload sessions, blob and manifest PUTs. */
export function writesSeen(proxy: FaultProxy): string[] {
  return proxy.requests.filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH').map((r) => `${r.method} ${r.path}`);
}

/** Blob upload requests only (POST/PUT/PATCH under /blobs/). */
export function blobUploadsSeen(proxy: FaultProxy): number {
  return proxy.requests.filter((r) => r.method !== 'HEAD' && r.method !== 'GET' && r.path.includes('/blobs/')).length;
}
