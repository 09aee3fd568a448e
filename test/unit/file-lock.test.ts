/**
 * The lock file's rules one by one, each a way the old PID-and-hostname lock went wrong: a second
 * holder is refused, staleness is the heartbeat's alone (another host's lock, our own PID, an empty
 * file), a live holder's heartbeat keeps it, waiting works, and signals and exit release it.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { acquireFileLock, acquireFileLockSync } from '../../src/lock/file-lock.js';
import { childScript } from '../support/child-script.js';

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'regtopo-lock-')), 'run.lock');
const age = (file: string, seconds: number): void => {
  const t = Date.now() / 1000 - seconds;
  utimesSync(file, t, t);
};

describe('file lock', () => {
  it('a held lock refuses a second holder with E_LOCKED naming the holder; release frees it', async () => {
    const file = fresh();
    const held = await acquireFileLock(file);
    await expect(acquireFileLock(file)).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining(`pid ${process.pid} on ${hostname()}`) });
    expect(() => acquireFileLockSync(file)).toThrow(/another run holds the lock/);
    await held.release();
    expect(existsSync(file)).toBe(false);
    const again = await acquireFileLock(file);
    await again.release();
  });

  it("a stale lock written by another host's pod is taken over", async () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ pid: 7, host: 'mirror-28391-xk2p9', startedAt: '2026-01-01T00:00:00Z' }));
    await expect(acquireFileLock(file)).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining('mirror-28391-xk2p9') });
    age(file, 31);
    const lock = await acquireFileLock(file);
    await lock.release();
  });

  it('a restarted container with the same PID is not locked out once the old heartbeat is stale', async () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: 'before the restart' }));
    age(file, 40);
    const lock = await acquireFileLock(file);
    await lock.release();
  });

  it('an empty or garbage lock file is held while fresh and recovered once stale', async () => {
    for (const content of ['', '\u0000garbage{']) {
      const file = fresh();
      writeFileSync(file, content);
      await expect(acquireFileLock(file, { staleMs: 5_000 })).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining('no readable note') });
      age(file, 6);
      const lock = await acquireFileLock(file, { staleMs: 5_000 });
      await lock.release();
    }
  });

  it("the holder's heartbeat keeps its lock past the stale timeout", async () => {
    const file = fresh();
    const lock = await acquireFileLock(file, { staleMs: 400, heartbeatMs: 100 });
    const before = statSync(file).mtimeMs;
    await sleep(900);
    expect(statSync(file).mtimeMs).toBeGreaterThan(before);
    await expect(acquireFileLock(file, { staleMs: 400 })).rejects.toMatchObject({ code: 'E_LOCKED' });
    await lock.release();
  });

  it('wait: gets the lock once the holder releases; a timeout or an abort stops waiting', async () => {
    const file = fresh();
    const first = await acquireFileLock(file);
    setTimeout(() => void first.release(), 200);
    const second = await acquireFileLock(file, { wait: { timeoutMs: 5_000, pollMs: 20 } });
    await expect(acquireFileLock(file, { wait: { timeoutMs: 100, pollMs: 20 } })).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining('waited') });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(acquireFileLock(file, { wait: true, signal: controller.signal })).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    await second.release();
  });

  it('a heartbeat not shorter than the stale timeout is a usage error', async () => {
    await expect(acquireFileLock(fresh(), { staleMs: 100, heartbeatMs: 100 })).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('SIGTERM releases the lock and still kills the process by the signal (no handler of its own)', async () => {
    const file = fresh();
    const { signal } = await holdThenSignal(file, undefined, 'SIGTERM');
    expect(signal).toBe('SIGTERM');
    expect(existsSync(file)).toBe(false);
  });

  it('SIGINT likewise', async () => {
    const file = fresh();
    const { signal } = await holdThenSignal(file, undefined, 'SIGINT');
    expect(signal).toBe('SIGINT');
    expect(existsSync(file)).toBe(false);
  });

  it('with a SIGTERM handler of its own (the CLI), the lock is released by the unwinding finally and the exit code is the handler’s', async () => {
    const file = fresh();
    const { code, stdout } = await holdThenSignal(file, 'handled', 'SIGTERM');
    expect(code).toBe(130);
    expect(stdout).toContain('released');
    expect(existsSync(file)).toBe(false);
  });

  it('process exit releases a lock nobody released', async () => {
    const file = fresh();
    const script = await childScript('lock-holder');
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [script, file, 'exit'], (err, stdout) => (err ? reject(err) : resolve(stdout))));
    expect(out).toContain('held');
    expect(existsSync(file)).toBe(false);
  });
});

async function holdThenSignal(file: string, mode: string | undefined, sig: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const script = await childScript('lock-holder');
  const child = spawn(process.execPath, [script, file, ...(mode ? [mode] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('held')) resolve();
    });
  });
  expect(existsSync(file)).toBe(true);
  child.kill(sig);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })));
}
