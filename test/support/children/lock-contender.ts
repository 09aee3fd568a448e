/**
 * One contender in the lock race: for each trial i it waits for its start instant, tries the lock
 * `<dir>/lock-<i>` once, and while holding appends "S pid" … "E pid" to `<dir>/log-<i>`.
 * argv: dir trials startAtMs slotMs holdMs staleMs
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireFileLockSync } from '../../../src/lock/file-lock.js';

const [dir, trialsArg, startArg, slotArg, holdArg, staleArg] = process.argv.slice(2) as [string, string, string, string, string, string];
const trials = Number(trialsArg);
const startAt = Number(startArg);
const slot = Number(slotArg);
const hold = Number(holdArg);
const staleMs = Number(staleArg);

let held = 0;
for (let i = 0; i < trials; i++) {
  const at = startAt + i * slot;
  const wait = at - Date.now() - 3;
  if (wait > 0) await sleep(wait);
  while (Date.now() < at) {
    // Spin the last milliseconds so the three contenders start within the same millisecond.
  }
  let lock;
  try {
    lock = acquireFileLockSync(join(dir, `lock-${i}`), { staleMs });
  } catch (err) {
    if ((err as { code?: string }).code !== 'E_LOCKED') throw err;
    continue;
  }
  held++;
  const log = join(dir, `log-${i}`);
  appendFileSync(log, `S ${process.pid}\n`);
  const until = Date.now() + hold;
  while (Date.now() < until) {
    // Hold without yielding, like a run doing work.
  }
  appendFileSync(log, `E ${process.pid}\n`);
  lock.releaseSync();
}
process.stdout.write(JSON.stringify({ held }));
