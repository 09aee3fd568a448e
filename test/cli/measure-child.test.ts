/**
 * bench/measure-child.py, which bench/cpu-bench.sh reads every cost from, reports what its comment
 * says: a command's own CPU seconds (every thread, at microsecond grain) and exit status, and with
 * --counter instructions a repeatable instruction count. No timing is asserted beyond "a command that
 * burns CPU for a while is not reported as free": the numbers' worth is the benchmark's business.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../../bench/measure-child.py');
const dir = mkdtempSync(join(tmpdir(), 'regtopo-measure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function has(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs measure-child on `cmd`; its exit code and the fields of the line it wrote. */
async function measure(counter: string, cmd: string[]): Promise<{ code: number; line: string; fields: number[] }> {
  const out = join(dir, `${counter}-${Math.random().toString(36).slice(2)}`);
  let code = 0;
  try {
    await run('python3', [SCRIPT, '--counter', counter, out, ...cmd]);
  } catch (err) {
    code = (err as { code?: number }).code ?? -1;
  }
  const line = readFileSync(out, 'utf8').trim();
  return { code, line, fields: line.split(' ').map(Number) };
}

// Two threads spin for ~150 ms of CPU each: the main thread and a worker.
const BURN = `
const { Worker } = require('node:worker_threads');
const spin = 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 150000);';
new Worker(spin, { eval: true }).on('exit', () => process.exit(3));
eval(spin);`;

describe.skipIf(!has('python3'))('bench/measure-child.py', () => {
  it("reports a command's CPU across its threads, its wall time and peak RSS, and passes its exit code on", async () => {
    const { code, line, fields } = await measure('cpu', [process.execPath, '-e', BURN]);
    expect(code).toBe(3);
    const [cpu, wall, rssKib] = fields;
    // Both threads' spin counts: more than one thread's 0.15 s, which the wall time alone could hold.
    expect(cpu).toBeGreaterThanOrEqual(0.29);
    expect(wall).toBeGreaterThan(0.1);
    expect(rssKib).toBeGreaterThan(10_000);
    // Microseconds kept, not GNU time's hundredths.
    expect(line).toMatch(/^\d+\.\d{4} /);
  });

  it.skipIf(!has('valgrind'))('counts instructions under valgrind, the same for the same work', async () => {
    // A shell, not node: the same check in ~3 s instead of ~20 (valgrind runs node ~50 times slower).
    const loop = (n: number) => ['sh', '-c', `i=0; while [ $i -lt ${n} ]; do i=$((i + 1)); done`];
    const a = await measure('instructions', loop(1000));
    const b = await measure('instructions', loop(1000));
    const more = await measure('instructions', loop(21000));
    expect(a.code).toBe(0);
    expect(a.fields[0]).toBeGreaterThan(100_000);
    expect(Math.abs(a.fields[0]! - b.fields[0]!) / a.fields[0]!).toBeLessThan(0.02);
    // 20,000 more iterations: far more instructions, whatever the shell spends on one.
    expect(more.fields[0]).toBeGreaterThan(a.fields[0]! + 2_000_000);
  }, 60_000);
});
