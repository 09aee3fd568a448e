import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRegistryBinary } from '../../src/demo/local-registry.js';
import { runCli } from './run-cli.js';

const BIN = join(import.meta.dirname, '../../bin/regtopo.js');

/** Whether anything answers HTTP at `url` (a stopped registry refuses the connection). */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** Splits a printed `$ regtopo …` line back into arguments (the demo quotes with '…' only). */
function argsOf(line: string): string[] {
  const args: string[] = [];
  for (const m of line.replace(/^\$ regtopo /, '').matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) args.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return args;
}

describe.skipIf(!findRegistryBinary())('regtopo demo (the embedded default run)', () => {
  it('runs the whole story offline on the example topology and reports each step as JSON', async () => {
    const r = await runCli(['demo', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const steps = r.json().steps as Array<{ step: string; detail: Record<string, any> }>;
    const by = Object.fromEntries(steps.map((s) => [s.step, s.detail]));
    // The example registries.yaml as it is: its registry names, stages and status names.
    expect(Object.keys(by.start!.registries)).toEqual(['sandbox', 'ci-tests', 'ci-snapshots', 'prod', 'prod-eu', 'prod-us', 'archive']);
    expect(by.start!.env).toBe('test');
    expect(by.copy!.digest).toBe(by.push!.digest);
    expect(by['copy-again']!.upToDate).toBe(true);
    expect(by.tag!.tags).toEqual([{ tag: 'stable', action: 'created' }]);
    expect(by['copy-platform']!.platformSubset).toBe(true);
    expect(by.policy!.refused).toBe(true);
    expect(by.check!.findings).toBe(6);
    expect(by['promotion:promote-prod']!.report.results[0]).toMatchObject({ outcome: 'promoted', tags: [{ action: 'created' }, { action: 'created' }] });
    expect(by['promotion:approvals-pending']!.pending).toMatchObject([{ image: 'app', stage: 'prod', version: '1.0.0', needsVersion: false }]);
    expect(by['promotion:approve']).toMatchObject({ by: 'alice', signed: true });
    // Promote replicated into both replicas (issue 11); a replicate run afterwards costs HEADs and listings only.
    const replication = by['promotion:promote-prod']!.report.replication;
    expect(replication.ok).toBe(true);
    expect(replication.report.summary.copied).toBeGreaterThan(0);
    const again = by['replication:replicate']!;
    expect(again.ok).toBe(true);
    expect(again.summary.replicas).toBe(2);
    expect(again.summary.copied + again.summary.updated + again.summary.failed).toBe(0);
    expect(Object.keys(again.requests).sort()).toEqual(['GET', 'HEAD']);
    // One HEAD per tag on prod (shared by both replicas) and one per tag on each replica.
    const tags = again.summary['in-sync'] / 2;
    expect(again.requests.HEAD).toBe(tags * 3);
    expect(by['replication:backup']!.summary.added).toBeGreaterThan(0);
    expect(by['replication:restore']!).toMatchObject({ identical: true });
    expect(by['replication:restore']!.restored).toBe(by['replication:backup']!.summary.added);
    // The example's mirror rules: alpine's two tags, nginx's newest 3 of the semver range, 1.27.4 pinned.
    expect(by.mirror!.first).toMatchObject({ tags: 5, copied: 4, pinned: 1 });
  });

  it('--keep narrates with pasteable commands, keeps the registries up until Ctrl-C, then stops them', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--keep'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!stdout.includes('the commands above are printed with')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no keep hint; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const file = /printed with -f (\S+) --env test/.exec(stdout)![1]!;
      const lines = stdout.split('\n');
      // Each step is printed as the CLI command that does it, with the demo's file and environment.
      expect(lines).toContain(`$ regtopo promote app --to prod -f ${file} --env test`);
      expect(lines).toContain(`$ regtopo approvals --pending -f ${file} --env test`);
      expect(lines).toContain(`$ regtopo mirror -f ${file} --env test`);
      expect(stdout).toMatch(new RegExp(`^\\$ regtopo approve app@sha256:[0-9a-f]{64} --stage prod --version 1\\.0\\.0 --key \\S+/keys/alice --comment 'demo release' -f \\S+ --env test$`, 'm'));
      expect(stdout).toContain('copy into prod refused: refusing to copy into registry "prod" (role prod)');
      expect(stdout).toMatch(/promote → prod: refused \[E_GATE_FAILED\].*scan missing signed by scanner/);
      expect(stdout).toMatch(/promote → prod: refused \[E_APPROVAL_PENDING\]/);
      expect(stdout).toMatch(/promote → prod: promoted \(tested created, 1\.0\.0 created\); replicated to prod-eu, prod-us/);
      expect(stdout).toMatch(/restore into an empty registry .*digests identical to prod/);
      expect(stdout).toMatch(/^ {2}export REGTOPO_ENV=test$/m);

      // A printed command, pasted: the registries answer, and hold what the demo did.
      const history = lines.find((l) => l.startsWith('$ regtopo history app'))!;
      const replay = await runCli(['-o', 'json', ...argsOf(history)]);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.json().history.map((h: { stage: string }) => h.stage)).toEqual(['prod', 'tested']);
      const approve = lines.find((l) => l.startsWith('$ regtopo approve '))!;
      const again = await runCli(['-o', 'json', ...argsOf(approve)]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json()).toMatchObject({ by: 'alice', signed: true });

      const urls = [...stdout.matchAll(/^ {2}\S+ +(http:\/\/127\.0\.0\.1:\d+)/gm)].map((m) => m[1]!);
      expect(urls.length).toBe(8);
      for (const url of urls) expect(await answers(url), url).toBe(true);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout.trim().split('\n').at(-1)).toBe('registries stopped; demo finished');
      for (const url of urls) expect(await answers(url), url).toBe(false);
      expect(existsSync(file)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
