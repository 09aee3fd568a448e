/**
 * A generated multi-platform OCI image for the demo: random layers per platform, real image configs,
 * pushed through regtopo's own client. Nothing is downloaded, so the demo runs offline.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf } from '../ref/digest.js';
import type { Descriptor, RawManifest } from '../registry/descriptor.js';
import type { ImageStore } from '../registry/image-store.js';
import { MediaType } from '../registry/media-types.js';

export interface DemoImageOptions {
  platforms: string[];
  layersPerPlatform: number;
  layerBytes: number;
  version: string;
}

/** Pushes the image to `store` under `tag`; returns the index digest. */
export async function pushDemoImage(store: ImageStore, tag: string, options: DemoImageOptions): Promise<string> {
  const children: Descriptor[] = [];
  for (const platform of options.platforms) {
    const [os, architecture, variant] = platform.split('/') as [string, string, string | undefined];
    const layers: Descriptor[] = [];
    const diffIds: string[] = [];
    for (let i = 0; i < options.layersPerPlatform; i++) {
      const bytes = randomBytes(options.layerBytes);
      const desc = { mediaType: MediaType.OciLayerGzip, digest: digestOf(bytes), size: bytes.length };
      await store.putBlob(desc, async () => Readable.from([bytes]));
      layers.push(desc);
      diffIds.push(desc.digest);
    }
    const config = json({
      architecture, os, ...(variant ? { variant } : {}), created: new Date().toISOString(),
      config: { Labels: { 'org.opencontainers.image.version': options.version, 'org.opencontainers.image.title': 'regtopo demo' } },
      rootfs: { type: 'layers', diff_ids: diffIds },
    });
    const configDesc = { mediaType: MediaType.OciConfig, digest: digestOf(config), size: config.length };
    await store.putBlob(configDesc, async () => Readable.from([config]));
    const manifest = raw(MediaType.OciManifest, { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers });
    await store.putManifest(manifest.digest, manifest);
    children.push({ mediaType: MediaType.OciManifest, digest: manifest.digest, size: manifest.bytes.length, platform: { os, architecture, ...(variant ? { variant } : {}) } });
  }
  const index = raw(MediaType.OciIndex, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: children });
  await store.putManifest(tag, index);
  return index.digest;
}

function json(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

function raw(mediaType: string, value: unknown): RawManifest {
  const bytes = json(value);
  return { bytes, mediaType, digest: digestOf(bytes) };
}
