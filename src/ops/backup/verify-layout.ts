/**
 * `--verify`: every file under `blobs/<alg>/` is re-hashed and compared with its name, and every
 * ref's tree (index → manifests → config and layers) is checked to be present. Temp files of an
 * interrupted write are not content and are skipped; they never carry a digest name.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../../registry/descriptor.js';
import { OciLayoutStore } from '../../registry/oci-layout-store.js';
import { readRefs } from './layout-refs.js';
import { throwIfAborted } from '../../transport/abort.js';

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export interface LayoutVerification {
  ok: boolean;
  /** Blob files re-hashed, and their bytes. */
  blobs: number;
  bytes: number;
  /** Files whose content does not hash to their name. */
  mismatched: Array<{ digest: string; actual: string }>;
  /** Content a ref needs that the layout lacks. */
  missing: Array<{ digest: string; ref: string }>;
}

export async function verifyLayout(dir: string, options: { signal?: AbortSignal } = {}): Promise<LayoutVerification> {
  const result: LayoutVerification = { ok: true, blobs: 0, bytes: 0, mismatched: [], missing: [] };
  for (const alg of Object.keys(HEX_LENGTH)) {
    let names: string[];
    try {
      names = await readdir(join(dir, 'blobs', alg));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      throwIfAborted(options.signal);
      if (!new RegExp(`^[a-f0-9]{${HEX_LENGTH[alg]}}$`).test(name)) continue;
      const { hex, size } = await hashFile(join(dir, 'blobs', alg, name), alg);
      result.blobs++;
      result.bytes += size;
      if (hex !== name) result.mismatched.push({ digest: `${alg}:${name}`, actual: `${alg}:${hex}` });
    }
  }
  const store = await OciLayoutStore.open(dir, { create: false, signal: options.signal });
  const bad = new Set(result.mismatched.map((m) => m.digest));
  for (const [ref, desc] of await readRefs(dir)) await checkTree(store, desc.digest, ref, bad, result);
  result.ok = result.mismatched.length === 0 && result.missing.length === 0;
  return result;
}

async function checkTree(store: OciLayoutStore, digest: string, ref: string, bad: Set<string>, result: LayoutVerification): Promise<void> {
  const head = await store.headManifest(digest).catch(() => undefined);
  if (!head) {
    result.missing.push({ digest, ref });
    return;
  }
  if (bad.has(digest)) return;
  const parsed = parseManifest(await store.getManifest(digest), `${store.description}:${ref}`);
  if (parsed.kind === 'index') {
    for (const child of parsed.manifests) await checkTree(store, child.digest, ref, bad, result);
    return;
  }
  for (const d of [parsed.config, ...parsed.layers]) {
    if (d.urls?.length) continue; // non-distributable layers live elsewhere by design
    if (!(await store.hasBlob(d))) result.missing.push({ digest: d.digest, ref });
  }
}

async function hashFile(path: string, alg: string): Promise<{ hex: string; size: number }> {
  const hash = createHash(alg);
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hex: hash.digest('hex'), size };
}
