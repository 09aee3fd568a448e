/**
 * Temp files in an OCI layout: a writer opening the layout removes those a dead writer left (its
 * process gone on this host, or nothing written for ten minutes) and keeps those a live writer
 * may still be filling.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTemps, tempPathFor } from '../../src/registry/layout-temp.js';
import { OciLayoutStore } from '../../src/registry/oci-layout-store.js';

/** A pid that was alive a moment ago and is certainly gone now. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('OCI layout temp files', () => {
  it('removes those of a dead process and stale ones, keeps a live writer\'s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regtopo-temps-'));
    const blobs = join(dir, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const live = tempPathFor(join(blobs, 'a'.repeat(64)));
    const dead = live.replace(`-${process.pid}-`, `-${deadPid()}-`);
    const legacyFresh = join(blobs, `${'b'.repeat(64)}.0123456789abcdef.tmp`);
    const legacyOld = join(blobs, `${'c'.repeat(64)}.fedcba9876543210.tmp`);
    const oldIndex = join(dir, 'index.json.0011223344556677.tmp');
    for (const p of [live, dead, legacyFresh, legacyOld, oldIndex]) await writeFile(p, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(legacyOld, hourAgo, hourAgo);
    await utimes(oldIndex, hourAgo, hourAgo);

    expect(await removeStaleTemps(dir)).toBe(3);
    expect((await readdir(blobs)).sort()).toEqual([live, legacyFresh].map((p) => p.slice(blobs.length + 1)).sort());
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('opening a layout to write cleans up; opening it to read does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'regtopo-temps-'));
    await OciLayoutStore.open(dir, { create: true });
    const dead = tempPathFor(join(dir, 'blobs', 'sha256', 'd'.repeat(64))).replace(`-${process.pid}-`, `-${deadPid()}-`);
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(dead, 'x');
    await OciLayoutStore.open(dir, { create: false });
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toHaveLength(1);
    await OciLayoutStore.open(dir, { create: true });
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toHaveLength(0);
  });
});
