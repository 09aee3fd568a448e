/**
 * Writes OCI image layouts (image-spec image-layout.md) by hand, including ones no well-behaved tool
 * would write: index.json entries whose media type contradicts the document, descriptors with missing
 * fields, lying sizes. Independent of regtopo's OciLayoutStore, so a layout bug cannot hide itself.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allBlobs, serialise, sha256, type Built } from './images.js';

export interface LayoutEntry {
  /** Any JSON: a well-formed descriptor or a deliberately broken one. */
  [field: string]: unknown;
}

export interface RawLayout {
  dir: string;
  /** Writes bytes under their sha256 and returns the digest. */
  addBlob(bytes: Buffer): Promise<string>;
  /** Writes a JSON document (serialised the unusual images.ts way) and returns its descriptor fields. */
  addDocument(doc: unknown): Promise<{ digest: string; size: number; bytes: Buffer }>;
  /** Every blob and manifest of a built image or index. */
  addBuilt(built: Built): Promise<void>;
  /** Writes index.json with exactly these entries. */
  writeIndex(entries: LayoutEntry[]): Promise<void>;
}

export async function rawLayout(dir?: string): Promise<RawLayout> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), 'regtopo-odd-layout-')));
  await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const addBlob = async (bytes: Buffer): Promise<string> => {
    const digest = sha256(bytes);
    await writeFile(join(root, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return digest;
  };
  const addBuilt = async (built: Built): Promise<void> => {
    for (const blob of allBlobs(built)) await addBlob(blob.bytes);
    const walk = async (b: Built): Promise<void> => {
      if (b.kind === 'index') for (const c of b.children) await walk(c);
      await addBlob(b.manifest);
    };
    await walk(built);
  };
  return {
    dir: root,
    addBlob,
    async addDocument(doc) {
      const bytes = serialise(doc);
      return { digest: await addBlob(bytes), size: bytes.length, bytes };
    },
    addBuilt,
    async writeIndex(entries) {
      await writeFile(join(root, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }, null, 2));
    },
  };
}

export const REF_NAME = 'org.opencontainers.image.ref.name';

/** An index.json entry naming `tag`, with the media type the entry claims (which may be a lie). */
export function entryFor(d: { digest: string; size: number }, mediaType: string, tag: string): LayoutEntry {
  return { mediaType, digest: d.digest, size: d.size, annotations: { [REF_NAME]: tag } };
}
