/**
 * The child-process runner's promises: a timeout ends the whole process tree (not just the shell),
 * output is capped, an abort stops the program, and ordinary results come through intact.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runWithTimeout } from '../../src/process/run-with-timeout.js';

describe('runWithTimeout', () => {
  it('passes stdin, env and args through and reports the exit code', async () => {
    const r = await runWithTimeout('/bin/sh', { args: ['-c', 'read x; echo "$x $GREETING"; echo err >&2; exit 3'], input: 'hello\n', env: { ...process.env, GREETING: 'world' }, timeoutMs: 5_000, outputLimit: 1024 });
    expect(r).toMatchObject({ exitCode: 3, timedOut: false, truncated: false });
    expect(r.stdout.toString()).toBe('hello world\n');
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('a timeout kills the whole process group: `sleep 8; true` with a 1 s limit ends in about a second', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-run-'));
    const marker = join(dir, 'survived');
    const started = Date.now();
    const r = await runWithTimeout(`sleep 8; true; touch ${marker}`, { shell: true, timeoutMs: 1_000, outputLimit: 1024 });
    const took = Date.now() - started;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).not.toBe(0);
    // Generous bound for a loaded machine; the old behaviour took the full 8 s.
    expect(took).toBeLessThan(4_000);
    await sleep(200);
    expect(existsSync(marker)).toBe(false);
  });

  it('a grandchild that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const started = Date.now();
    const r = await runWithTimeout(`sh -c 'trap "" TERM; sleep 8' & wait`, { shell: true, timeoutMs: 300, killGraceMs: 200, outputLimit: 1024 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('background descendants of a program that exited do not hold the run open', async () => {
    const started = Date.now();
    const r = await runWithTimeout('sleep 8 & echo done', { shell: true, timeoutMs: 20_000, outputLimit: 1024 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe('done\n');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('output is capped: a program printing without end is cut at the limit', async () => {
    const r = await runWithTimeout('yes regtopo', { shell: true, timeoutMs: 10_000, outputLimit: 4096 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(4096);
    expect(r.timedOut).toBe(false);
  });

  it("overflow 'fail' rejects instead of truncating", async () => {
    await expect(runWithTimeout('head -c 10000 /dev/zero', { shell: true, timeoutMs: 10_000, outputLimit: 100, overflow: 'fail' })).rejects.toMatchObject({ code: 'E_CONFIG' });
  });

  it('an abort signal ends the program and rejects with E_INTERRUPTED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await expect(runWithTimeout('sleep 8', { shell: true, timeoutMs: 20_000, outputLimit: 1024, signal: controller.signal })).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('a program that does not exist is E_CONFIG naming it', async () => {
    await expect(runWithTimeout('/no/such/program', { timeoutMs: 1_000, outputLimit: 10, what: 'ssh-keygen' })).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('ssh-keygen could not start') });
  });
});
