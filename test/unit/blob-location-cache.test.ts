import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BlobLocationCache, defaultBlobLocationPath, MAX_BYTES, MAX_DIGESTS, MAX_LOCATIONS,
} from '../../src/ops/blob-locations/blob-location-cache.js';
import { childScript } from '../support/child-script.js';

const run = promisify(execFile);
const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;
const fresh = () => join(mkdtempSync(join(tmpdir(), 'regtopo-blc-')), 'regtopo', 'blob-locations.json');

describe('blob-location cache: persistent, bounded, never fatal', () => {
  it('lives under $XDG_CACHE_HOME/regtopo, else ~/.cache/regtopo (a relative XDG path is ignored, as the spec says)', () => {
    expect(defaultBlobLocationPath({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/regtopo/blob-locations.json');
    expect(defaultBlobLocationPath({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/regtopo\/blob-locations\.json$/);
  });

  it('round-trips sightings, newest first, one per location, at most MAX_LOCATIONS per digest', async () => {
    const path = fresh();
    let t = 1000;
    const cache = new BlobLocationCache(path, () => t++);
    await cache.load();
    for (let i = 0; i < MAX_LOCATIONS + 3; i++) cache.record('r.test', digest(1), `repo${i}`);
    cache.record('r.test', digest(1), 'repo0');
    cache.record('other.test', digest(1), 'elsewhere');
    await cache.flush();
    const again = new BlobLocationCache(path);
    await again.load();
    expect(again.lookup('r.test', digest(1))).toEqual(['repo0', 'repo6', 'repo5'].slice(0, MAX_LOCATIONS - 1));
    expect(again.lookup('other.test', digest(1))).toEqual(['elsewhere']);
    // Whether a copy may mount anything there at all (else it dials its source for the blob reads).
    expect([again.knows('r.test'), again.knows('other.test'), again.knows('third.test')]).toEqual([true, true, false]);
  });

  it('keeps the length recorded with a sighting; reads files written before lengths were kept; drops bad or orphaned lengths', async () => {
    const path = fresh();
    const cache = new BlobLocationCache(path);
    await cache.load();
    cache.record('r.test', digest(1), 'repo', 4096);
    cache.record('r.test', digest(2), 'repo');
    await cache.flush();
    const again = new BlobLocationCache(path);
    await again.load();
    expect(again.sizeOf(digest(1))).toBe(4096);
    expect(again.sizeOf(digest(2))).toBeUndefined();

    writeFileSync(path, JSON.stringify({
      format: 'regtopo.blob-locations.v1',
      blobs: { [digest(3)]: [['r.test', 'old', 1]], [digest(4)]: [['r.test', 'neg', 1]], [digest(5)]: [['r.test', 'frac', 1]] },
      sizes: { [digest(4)]: -1, [digest(5)]: 1.5, [digest(6)]: 10 },
    }));
    const old = new BlobLocationCache(path);
    await old.load();
    expect(old.lookup('r.test', digest(3))).toEqual(['old']);
    for (const d of [3, 4, 5, 6]) expect(old.sizeOf(digest(d))).toBeUndefined();
  });

  it('sightings recorded before load() finishes survive it', async () => {
    const path = fresh();
    const seeded = new BlobLocationCache(path);
    seeded.record('r.test', digest(7), 'from-file', 7);
    await seeded.flush();
    const cache = new BlobLocationCache(path);
    const loading = cache.load();
    cache.record('r.test', digest(8), 'this-run', 8);
    await loading;
    expect(cache.lookup('r.test', digest(7))).toEqual(['from-file']);
    expect(cache.lookup('r.test', digest(8))).toEqual(['this-run']);
    expect(cache.sizeOf(digest(8))).toBe(8);
  });

  it.each([
    ['not JSON', '{"format": "regtopo.blob-locations.v1", "blobs": {'],
    ['another format', JSON.stringify({ format: 'something-else', blobs: {} })],
    ['wrong shapes', JSON.stringify({ format: 'regtopo.blob-locations.v1', blobs: { 'not a digest': [['a', 'b', 1]], [digest(2)]: [['a', 5, 'x'], 'junk'] } })],
    ['binary', '\u0000\u0001\u0002'],
  ])('a corrupt file (%s) is dropped, not fatal, and replaced on the next flush', async (_name, text) => {
    const path = fresh();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    const cache = new BlobLocationCache(path);
    await cache.load();
    expect(cache.lookup('a', digest(2))).toEqual([]);
    cache.record('r.test', digest(3), 'repo');
    await cache.flush();
    expect(JSON.parse(readFileSync(path, 'utf8')).blobs[digest(3)][0].slice(0, 2)).toEqual(['r.test', 'repo']);
  });

  it('a file larger than MAX_BYTES is not read', async () => {
    const path = fresh();
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, ' '.repeat(MAX_BYTES + 1));
    const cache = new BlobLocationCache(path);
    await cache.load();
    expect(cache.lookup('r.test', digest(1))).toEqual([]);
  });

  it('keeps at most MAX_DIGESTS digests, the most recently seen, within MAX_BYTES', async () => {
    const path = fresh();
    let t = 0;
    const cache = new BlobLocationCache(path, () => ++t);
    await cache.load();
    const long = 'x'.repeat(200);
    for (let i = 0; i < MAX_DIGESTS + 500; i++) cache.record('r.test', digest(i), `${long}/${i}`);
    await cache.flush();
    expect(statSync(path).size).toBeLessThanOrEqual(MAX_BYTES);
    const kept = Object.keys(JSON.parse(readFileSync(path, 'utf8')).blobs);
    expect(kept.length).toBeLessThanOrEqual(MAX_DIGESTS);
    expect(kept).toContain(digest(MAX_DIGESTS + 499));
    expect(kept).not.toContain(digest(0));
  });

  it('a dropped (stale) location stays dropped across the merge, unless it was seen again later', async () => {
    const path = fresh();
    let t = 100;
    const a = new BlobLocationCache(path, () => t++);
    await a.load();
    a.record('r.test', digest(1), 'stale');
    a.record('r.test', digest(1), 'good');
    await a.flush();
    const b = new BlobLocationCache(path, () => t++);
    await b.load();
    b.forget('r.test', digest(1), 'stale');
    await b.flush();
    const c = new BlobLocationCache(path);
    await c.load();
    expect(c.lookup('r.test', digest(1))).toEqual(['good']);
  });

  it('concurrent processes flushing at once never leave a torn or unreadable file (8 processes × 5 flushes)', async () => {
    const path = fresh();
    const script = await childScript('blob-location-writer');
    const startAt = Date.now() + 1500;
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    await Promise.all(names.map((n) => run(process.execPath, [script, path, n, '200', String(startAt), '5'])));
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { format: string; blobs: Record<string, unknown[]> };
    expect(doc.format).toBe('regtopo.blob-locations.v1');
    expect(Object.keys(doc.blobs)).toHaveLength(200);
    for (const list of Object.values(doc.blobs)) expect(list.length).toBeGreaterThan(0);
    // No temp file is left behind by any writer.
    expect(readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
