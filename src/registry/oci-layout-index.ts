/**
 * index.json of an OCI image layout (image-spec image-layout.md): read with every entry's digest
 * validated before it can become a path, and rewritten read-modify-write one writer at a time per
 * layout — within a process by a queue, across processes by the lock file `index.json.lock` — and
 * replaced atomically by rename so readers never see half a file.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RegtopoError } from '../errors.js';
import { parseDescriptor, type Descriptor } from './descriptor.js';
import { MediaType } from './media-types.js';
import { isMissing, removeQuietly, tempPathFor } from './layout-temp.js';
import { acquireFileLock } from '../lock/file-lock.js';

export const INDEX_FILE = 'index.json';
const LOCK_FILE = 'index.json.lock';

// A rewrite holds the lock for milliseconds: a holder that died is taken over after 10 s, polling
// every 10 ms keeps contention cheap, and a writer gives up (E_LOCKED) only if the layout stays
// locked for 30 s, which means something is wrong.
const LOCK = { staleMs: 10_000, wait: { timeoutMs: 30_000, pollMs: 10 } } as const;

/** index.json as read: unknown top-level fields are kept so a rewrite loses nothing another tool wrote. */
export interface IndexDoc {
  doc: Record<string, unknown>;
  manifests: Descriptor[];
}

// Keyed by absolute directory, not by store instance: two stores opened on one layout in the same
// process must still take turns rewriting index.json.
const indexLocks = new Map<string, Promise<unknown>>();

export async function readLayoutIndex(dir: string): Promise<IndexDoc> {
  const path = join(dir, INDEX_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // A layout with oci-layout but no index yet is just empty.
    if (isMissing(err)) return { doc: { schemaVersion: 2, mediaType: MediaType.OciIndex }, manifests: [] };
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new RegtopoError('E_MANIFEST_INVALID', `${path}: not valid JSON`);
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as Record<string, unknown>).manifests)) {
    throw new RegtopoError('E_MANIFEST_INVALID', `${path}: no "manifests" array`);
  }
  const raw = (doc as Record<string, unknown>).manifests as unknown[];
  // Parsing validates each digest before it is ever turned into a path.
  return { doc: doc as Record<string, unknown>, manifests: raw.map((d, i) => parseDescriptor(d, `${path} manifests[${i}]`)) };
}

/** Read-modify-write of index.json, one at a time per layout (in and across processes), replaced atomically by rename. */
export async function updateLayoutIndex(dir: string, change: (manifests: Descriptor[]) => Descriptor[], options: { signal?: AbortSignal } = {}): Promise<void> {
  const key = resolve(dir);
  const previous = indexLocks.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(async () => {
    const lock = await acquireFileLock(join(dir, LOCK_FILE), { ...LOCK, signal: options.signal });
    const path = join(dir, INDEX_FILE);
    const tmp = tempPathFor(path);
    try {
      const { doc, manifests } = await readLayoutIndex(dir);
      const text = JSON.stringify({ ...doc, manifests: change(manifests) });
      await writeFile(tmp, text, { flag: 'wx' });
      await rename(tmp, path);
    } catch (err) {
      await removeQuietly(tmp);
      throw err;
    } finally {
      await lock.release();
    }
  });
  indexLocks.set(key, run);
  try {
    await run;
  } finally {
    if (indexLocks.get(key) === run) indexLocks.delete(key);
  }
}
