import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/ops/mirror/lock.js';
import { buildZeroLayerImage, uniqueRepo } from '../support/images.js';
import { startMirrorEnv, type MirrorEnv } from '../support/mirror-env.js';
import { registrySkipReason } from '../support/registry.js';
import { runCli } from './run-cli.js';
import { spawn } from 'node:child_process';

const skip = registrySkipReason();

describe.skipIf(skip)('regtopo mirror (CLI)', () => {
  let env: MirrorEnv;
  let dir: string;
  const topologyFile = (rules: Parameters<MirrorEnv['yaml']>[0]): string => {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, env.yaml(rules));
    return file;
  };
  const seedTags = async (repo: string, tags: string[]) => {
    for (const t of tags) await env.seed(repo, t, buildZeroLayerImage('oci', `${repo}/${t}`));
  };

  beforeAll(async () => {
    env = await startMirrorEnv();
    dir = mkdtempSync(join(tmpdir(), 'regtopo-mirror-cli-'));
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(() => env.proxy.reset());

  it('mirrors, then a re-run skips everything; JSON report and text summary', async () => {
    const repo = uniqueRepo('library');
    await seedTags(repo, ['1.0.0', '1.1.0', '2.0.0-rc1']);
    const file = topologyFile([{ name: 'app', repository: repo, semver: '^1.0.0' }]);
    const first = await runCli(['-f', file, '--output', 'json', 'mirror']);
    expect(first.code, first.stderr).toBe(0);
    const report = first.json();
    expect(report.outcome).toBe('ok');
    expect(report.tags.map((t: { tag: string; action: string }) => `${t.tag}:${t.action}`).sort()).toEqual(['1.0.0:copied', '1.1.0:copied']);
    expect(report.summary).toMatchObject({ copied: 2, tags: 2 });

    const again = await runCli(['-f', file, 'mirror']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/app 1\.1\.0: skipped/);
    expect(again.stdout).toMatch(/mirror ok: 2 tags \(2 skipped\), 0 bytes/);
  });

  it('exit 13 when the rate-limit reserve is reached, naming what is left', async () => {
    const repo = uniqueRepo('library');
    await seedTags(repo, ['a', 'b', 'c']);
    env.proxy.rateLimit = { limit: 100, remaining: 6 };
    const r = await runCli(['-f', topologyFile([{ name: 'app', repository: repo, tags: ['a', 'b', 'c'] }]), '--output', 'json', 'mirror', '--reserve', '5', '--jobs', '1']);
    expect(r.code).toBe(13);
    expect(r.json()).toMatchObject({ outcome: 'rate-reserve', stopped: { reason: 'rate-reserve', remaining: [{ rule: 'app', tags: ['b', 'c'] }] } });
  });

  it('exit 8 when the upstream still answers 429 after backing off', async () => {
    const repo = uniqueRepo('library');
    await seedTags(repo, ['a']);
    env.proxy.addRule({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 429, retryAfter: 0 } });
    const r = await runCli(['-f', topologyFile([{ name: 'app', repository: repo, tags: ['a'] }]), 'mirror']);
    expect(r.code).toBe(8);
    expect(r.stdout).toMatch(/stopped \(rate-limited\)/);
    expect(env.manifestGets()).toBe(4);
  });

  it('exit 14 while another run holds the lock', async () => {
    const lock = join(dir, 'held.lock');
    const held = acquireLock(lock);
    try {
      const r = await runCli(['-f', topologyFile([]), '--output', 'json', 'mirror', '--lock', lock]);
      expect(r.code).toBe(14);
      expect(r.json().error).toMatchObject({ code: 'E_LOCKED', exitCode: 14 });
      expect(r.json().error.message).toContain(`pid ${process.pid}`);
    } finally {
      held.release();
    }
  });

  it('SIGTERM during a run releases its lock (a CronJob pod being stopped)', async () => {
    const repo = uniqueRepo('library');
    await seedTags(repo, ['a']);
    env.proxy.addRule({ method: 'GET', path: /\/manifests\//, fault: { kind: 'hang' } });
    const lock = join(dir, 'sigterm.lock');
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/regtopo.js'), '-f', topologyFile([{ name: 'app', repository: repo, tags: ['a'] }]), 'mirror', '--lock', lock], { stdio: 'ignore', env: { ...process.env, DOCKER_CONFIG: dir } });
    for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500)); // into the hanging manifest request
    expect(existsSync(lock)).toBe(true);
    child.kill('SIGTERM');
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (c, s) => resolve({ code: c, signal: s })));
    expect(signal === 'SIGTERM' || code === 130 || code === 143).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('exit 1 when a tag fails, after doing the rest; exit 2 for an unknown rule or bad shard', async () => {
    const repo = uniqueRepo('library');
    await seedTags(repo, ['ok']);
    const file = topologyFile([{ name: 'app', repository: repo, tags: ['nope', 'ok'] }]);
    const r = await runCli(['-f', file, 'mirror']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/app nope: failed/);
    expect(r.stdout).toMatch(/app ok: copied/);
    expect((await runCli(['-f', file, 'mirror', '--rule', 'other'])).code).toBe(2);
    expect((await runCli(['-f', file, 'mirror', '--shard', '4/3'])).code).toBe(2);
    expect((await runCli(['-f', file, 'mirror', '--reserve', '-1'])).code).toBe(2);
  });
});
