/**
 * The lock's exclusion claim, tried the way it fails in production: three processes released at the
 * same instant over a stale lock (left by a dead run, an empty file, garbage, another host's pod).
 * Each holder appends "S pid" … "E pid" to a shared log while it holds; any interleaving is two holders.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childScript } from '../support/child-script.js';

const TRIALS = 50;
const CONTENDERS = 3;

function run(script: string, args: string[]): Promise<{ held: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as { held: number })));
  });
}

const STALE_CONTENT = [
  '', // an empty file: a run killed between create and write
  'not json at all \u0000\u0001',
  JSON.stringify({ pid: 1, host: 'mirror-cron-28391-abcde', startedAt: '2026-01-01T00:00:00Z' }),
  JSON.stringify({ pid: process.pid, host: 'this-host', startedAt: 'then' }),
];

describe('file lock race', () => {
  it(`three processes over a stale lock, ${TRIALS} trials: never two holders, always one`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-lock-race-'));
    const hourAgo = Date.now() / 1000 - 3600;
    for (let i = 0; i < TRIALS; i++) {
      const lock = join(dir, `lock-${i}`);
      writeFileSync(lock, STALE_CONTENT[i % STALE_CONTENT.length]!);
      utimesSync(lock, hourAgo, hourAgo);
    }
    const script = await childScript('lock-contender');
    const slotMs = 120;
    const startAt = Date.now() + 1500; // time for three node processes to start on a loaded machine
    const results = await Promise.all(Array.from({ length: CONTENDERS }, () => run(script, [dir, String(TRIALS), String(startAt), String(slotMs), '25', '10000'])));

    let overlaps = 0;
    let noHolder = 0;
    let holders = 0;
    for (let i = 0; i < TRIALS; i++) {
      const log = join(dir, `log-${i}`);
      if (!existsSync(log)) {
        noHolder++;
        continue;
      }
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      for (let j = 0; j < lines.length; j += 2) {
        const [s, e] = [lines[j]!.split(' '), lines[j + 1]?.split(' ')];
        if (s[0] !== 'S' || e?.[0] !== 'E' || e[1] !== s[1]) overlaps++;
        holders++;
      }
      // Released: nothing is left behind, not even the takeover guard or an aside copy.
      expect(existsSync(join(dir, `lock-${i}`))).toBe(false);
    }
    console.log(`file-lock race: ${TRIALS} trials x ${CONTENDERS} processes, ${holders} holds, ${overlaps} overlaps, ${noHolder} trials without a holder`);
    expect(overlaps).toBe(0);
    expect(noHolder).toBe(0);
    expect(results.reduce((n, r) => n + r.held, 0)).toBe(holders);
  }, 120_000);
});
