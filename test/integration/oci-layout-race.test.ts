/**
 * Two (here: eight) processes writing different tags into one OCI layout at the same instant must
 * never lose each other's index.json entry: the read-modify-write of index.json is serialised across
 * processes by a lock file and replaced by an atomic rename.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OciLayoutStore } from '../../src/registry/oci-layout-store.js';
import { childScript } from '../support/child-script.js';

const TRIALS = 20;
const WRITERS = 8;
const REF_NAME = 'org.opencontainers.image.ref.name';

function run(script: string, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
  });
}

describe('OCI layout index.json across processes', () => {
  it(`${WRITERS} processes each tagging one layout at the same instant, ${TRIALS} trials: every tag survives`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-layout-race-'));
    for (let i = 0; i < TRIALS; i++) {
      mkdirSync(join(dir, `layout-${i}`));
      await OciLayoutStore.open(join(dir, `layout-${i}`), { create: true });
    }
    const script = await childScript('layout-tagger');
    const slotMs = 150;
    const startAt = Date.now() + 2500; // time for eight node processes to start on a loaded machine
    const tags = Array.from({ length: WRITERS }, (_, k) => `writer-${k}`);
    await Promise.all(tags.map((t) => run(script, [dir, String(TRIALS), String(startAt), String(slotMs), t])));

    let lost = 0;
    let incomplete = 0;
    for (let i = 0; i < TRIALS; i++) {
      const layout = join(dir, `layout-${i}`);
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
      const present = new Set(index.manifests.map((m) => m.annotations?.[REF_NAME]));
      const missing = tags.filter((t) => !present.has(t)).length;
      lost += missing;
      if (missing > 0) incomplete++;
      // Nothing left over: no temp file, no lock file.
      expect(readdirSync(layout).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
    }
    console.log(`oci-layout race: ${TRIALS} trials x ${WRITERS} processes, ${lost} tags lost in ${incomplete} trials`);
    expect(lost).toBe(0);
  }, 120_000);
});
