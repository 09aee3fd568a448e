/**
 * Temp files of an OCI layout (image-spec image-layout.md says nothing of them; readers ignore what
 * is not a blob or index.json). Blobs and index.json are written to `<target>.<host>-<pid>-<rand>.tmp`
 * and renamed into place. A writer that dies (SIGKILL, power loss) leaves its temp file behind, so a
 * writer opening the layout removes those whose process is gone on this host, and any that nobody
 * has written to for STALE_AFTER_MS (a live write touches its file with every chunk, and a transfer
 * silent that long has hit its body timeout long before).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

const STALE_AFTER_MS = 10 * 60_000;
// Short and filename-safe; a layout on a shared filesystem sees writers from other hosts, whose
// process ids mean nothing here.
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const OURS = /\.([0-9a-f]{8})-(\d+)-[0-9a-f]+\.tmp$/;

export function tempPathFor(path: string): string {
  return `${path}.${HOST_TAG}-${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** Removes temp files left by writers that are gone; returns how many. */
export async function removeStaleTemps(dir: string, now = Date.now()): Promise<number> {
  const candidates = (await tempsIn(dir)).map((name) => join(dir, name));
  let algorithms: string[] = [];
  try {
    algorithms = await readdir(join(dir, 'blobs'));
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  for (const alg of algorithms) candidates.push(...(await tempsIn(join(dir, 'blobs', alg))).map((name) => join(dir, 'blobs', alg, name)));
  let removed = 0;
  for (const path of candidates) {
    if (!(await isAbandoned(path, now))) continue;
    await removeQuietly(path);
    removed++;
  }
  return removed;
}

async function tempsIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

async function isAbandoned(path: string, now: number): Promise<boolean> {
  const m = OURS.exec(path);
  if (m && m[1] === HOST_TAG && !processAlive(Number(m[2]))) return true;
  try {
    return now - (await stat(path)).mtimeMs > STALE_AFTER_MS;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it just belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
