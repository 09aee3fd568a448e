/**
 * A persistent, bounded record of where blobs were last seen or written: digest → registry and
 * repository, like skopeo's blob-info cache. It only ever proposes cross-repository mounts
 * (distribution-spec "mounting a blob from another repository"), so a wrong or stale entry costs
 * one refused mount and is dropped; it never stands in for an existence check.
 *
 * One JSON file under $XDG_CACHE_HOME/regtopo/ (else ~/.cache/regtopo/). Loaded once, written once
 * per run by `flush()`: re-read, merged (newest sighting wins, this run's drops applied), bounded,
 * written to a temp file and renamed, so a concurrent process never sees half a file; when two
 * processes flush at once, the last rename wins and the other's sightings are lost, which for a
 * cache costs at most an upload. A file that is unreadable, too large or not ours is ignored and
 * replaced: a cache must never make a copy fail.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDigest } from '../../ref/digest.js';
import { Reference } from '../../ref/reference.js';

/** Digests kept; beyond it the least recently seen go first. */
export const MAX_DIGESTS = 10_000;
/** Locations kept per digest (newest first): enough for the stages of one registry family. */
export const MAX_LOCATIONS = 4;
/** The file is never written larger than this, and a larger one is not read. */
export const MAX_BYTES = 2 * 1024 * 1024;

const FORMAT = 'regtopo.blob-locations.v1';

/** [registry, repository, seen at (ms since the epoch)] */
type Sighting = [string, string, number];

interface CacheFile {
  format: typeof FORMAT;
  blobs: Record<string, Sighting[]>;
  /**
   * The length each digest was checked to have when it was recorded (copied and verified, or
   * HEADed): a mount from a sighting then needs no length check. Optional, so files written
   * before it are still read.
   */
  sizes?: Record<string, number>;
}

interface Contents {
  blobs: Map<string, Sighting[]>;
  sizes: Map<string, number>;
}

export function defaultBlobLocationPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'regtopo', 'blob-locations.json');
}

export class BlobLocationCache {
  private blobs = new Map<string, Sighting[]>();
  private sizes = new Map<string, number>();
  private readonly dropped: Array<{ digest: string; registry: string; repository: string; at: number }> = [];
  private loaded?: Promise<void>;
  private dirty = false;

  constructor(readonly path: string = defaultBlobLocationPath(), private readonly now: () => number = Date.now) {}

  /** Reads the file once; a missing or bad file leaves the cache empty. Sightings recorded meanwhile are kept. */
  load(): Promise<void> {
    this.loaded ??= readCacheFile(this.path).then((read) => {
      mergeInto(read, { blobs: this.blobs, sizes: this.sizes });
      this.blobs = read.blobs;
      this.sizes = read.sizes;
    });
    return this.loaded;
  }

  /** Repositories of `registry` where `digest` was last seen, newest first. */
  lookup(registry: string, digest: string): string[] {
    return (this.blobs.get(digest) ?? []).filter((s) => s[0] === registry).map((s) => s[1]);
  }

  /** Some blob was seen on `registry` (stopping at the first sighting: up to MAX_DIGESTS entries). */
  knows(registry: string): boolean {
    for (const sightings of this.blobs.values()) if (sightings.some((s) => s[0] === registry)) return true;
    return false;
  }

  /** With `size`: the length the caller checked the blob to have (see CacheFile.sizes). */
  record(registry: string, digest: string, repository: string, size?: number): void {
    insert(this.blobs, digest, [registry, repository, this.now()]);
    if (size !== undefined) this.sizes.set(digest, size);
    this.dirty = true;
  }

  /** The length recorded for `digest`, if any. Like a sighting, a hint: it may be stale or wrong. */
  sizeOf(digest: string): number | undefined {
    return this.sizes.get(digest);
  }

  /** A mount from this location was refused: the entry is stale. */
  forget(registry: string, digest: string, repository: string): void {
    removeFrom(this.blobs, digest, registry, repository, Infinity);
    this.dropped.push({ digest, registry, repository, at: this.now() });
    this.dirty = true;
  }

  /** Merges this run's sightings and drops into the file. Never throws: a cache is best effort. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    try {
      const merged = await readCacheFile(this.path);
      mergeInto(merged, { blobs: this.blobs, sizes: this.sizes });
      for (const d of this.dropped) removeFrom(merged.blobs, d.digest, d.registry, d.repository, d.at);
      const text = serialise(merged);
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(temp, text, { mode: 0o600 });
        await rename(temp, this.path);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      this.blobs = merged.blobs;
      this.sizes = merged.sizes;
      this.dropped.length = 0;
      this.dirty = false;
    } catch {
      // A read-only or full cache directory must not fail the copy that just succeeded.
    }
  }
}

async function readCacheFile(path: string): Promise<Contents> {
  const contents: Contents = { blobs: new Map(), sizes: new Map() };
  try {
    if ((await stat(path)).size > MAX_BYTES) return contents;
    const doc = JSON.parse(await readFile(path, 'utf8')) as Partial<CacheFile>;
    if (doc?.format !== FORMAT || typeof doc.blobs !== 'object' || doc.blobs === null) return contents;
    for (const [digest, list] of Object.entries(doc.blobs)) {
      if (!isDigest(digest) || !Array.isArray(list)) continue;
      for (const s of list) if (isSighting(s)) insert(contents.blobs, digest, s);
    }
    if (typeof doc.sizes === 'object' && doc.sizes !== null) {
      for (const [digest, size] of Object.entries(doc.sizes)) {
        if (contents.blobs.has(digest) && Number.isSafeInteger(size) && size >= 0) contents.sizes.set(digest, size);
      }
    }
  } catch {
    // Missing, unreadable or corrupt: start empty, the next flush replaces it.
  }
  return contents;
}

/** Adds `from`'s sightings and sizes to `into` (newest sighting wins; `from`'s size wins). */
function mergeInto(into: Contents, from: Contents): void {
  for (const [digest, sightings] of from.blobs) for (const s of sightings) insert(into.blobs, digest, s);
  for (const [digest, size] of from.sizes) into.sizes.set(digest, size);
}

function isSighting(s: unknown): s is Sighting {
  return Array.isArray(s) && s.length === 3 && typeof s[0] === 'string' && typeof s[1] === 'string' && typeof s[2] === 'number'
    && s[0].length > 0 && s[0].length <= 255 && s[1].length > 0 && s[1].length <= 255 && isLocation(s[0], s[1]);
}

/** The file is input like any other: a location becomes a mount's `from` and a token scope, so it must parse. */
function isLocation(registry: string, repository: string): boolean {
  try {
    const ref = Reference.of(registry, repository);
    return ref.registry === registry && ref.repository === repository;
  } catch {
    return false;
  }
}

/** Keeps one sighting per location, the newest; newest first; at most MAX_LOCATIONS. */
function insert(blobs: Map<string, Sighting[]>, digest: string, s: Sighting): void {
  const list = blobs.get(digest) ?? [];
  const old = list.find((o) => o[0] === s[0] && o[1] === s[1]);
  if (old && old[2] >= s[2]) return;
  const next = [s, ...list.filter((o) => o !== old)].sort((a, b) => b[2] - a[2]).slice(0, MAX_LOCATIONS);
  blobs.set(digest, next);
}

/** Removes the location unless it was seen again after `before` (by this run or another process). */
function removeFrom(blobs: Map<string, Sighting[]>, digest: string, registry: string, repository: string, before: number): void {
  const list = blobs.get(digest);
  if (!list) return;
  const next = list.filter((s) => !(s[0] === registry && s[1] === repository && s[2] <= before));
  if (next.length > 0) blobs.set(digest, next);
  else blobs.delete(digest);
}

/** Newest digests first, cut to MAX_DIGESTS and to MAX_BYTES; a size is kept with its digest's sightings. */
function serialise({ blobs, sizes }: Contents): string {
  const ordered = [...blobs].sort((a, b) => b[1][0]![2] - a[1][0]![2]).slice(0, MAX_DIGESTS);
  let kept = ordered;
  for (;;) {
    const keptSizes = Object.fromEntries(kept.flatMap(([digest]) => (sizes.has(digest) ? [[digest, sizes.get(digest)!]] : [])));
    const text = `${JSON.stringify({ format: FORMAT, blobs: Object.fromEntries(kept), sizes: keptSizes } satisfies CacheFile)}\n`;
    if (Buffer.byteLength(text) <= MAX_BYTES || kept.length === 0) return text;
    kept = kept.slice(0, Math.floor(kept.length * 0.9));
  }
}
