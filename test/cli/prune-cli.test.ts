import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { setupPruneFixture, type PruneFixture } from '../support/prune-fixture.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('regtopo prune (built CLI)', () => {
  let ci: TestRegistry;
  let tests: TestRegistry;
  let prod: TestRegistry;
  let fx: PruneFixture;
  beforeAll(async () => {
    [ci, tests, prod] = await Promise.all([startTestRegistry('plain', { deleteEnabled: true }), startTestRegistry('plain'), startTestRegistry('plain')]);
    fx = await setupPruneFixture(ci, tests, prod);
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
    await Promise.all([ci?.stop(), tests?.stop(), prod?.stop()]);
  });

  it('--help shows the dry-run default and examples', async () => {
    const r = await runCli(['prune', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('regtopo prune ci-snapshots --confirm');
    expect(r.stdout).toContain('--confirm');
    expect(r.stdout).toContain('garbage-collect');
  });

  it('dry run as JSON: registries → repositories → tags with action and reason, and a summary; exit 0', async () => {
    const r = await runCli(['prune', '-f', fx.file, '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = r.json();
    expect(report.registries.map((x: { name: string }) => x.name)).toEqual(['ci']);
    const repo = report.registries[0].repositories.find((x: { repository: string }) => x.repository === fx.repo);
    const got = Object.fromEntries(repo.tags.map((t: { tag: string; action: string; reason: string }) => [t.tag, [t.action, t.reason]]));
    expect(got).toEqual(fx.expected);
    for (const t of repo.tags) expect(t.digest).toBe(fx.digests[t.tag]);
    expect(report.summary).toMatchObject({ dryRun: true, tags: 30, delete: 14, keep: 16, digests: 13, records: 1 });
  });

  it('dry run as text: one line per tag and the totals, pointing at --confirm', async () => {
    const r = await runCli(['prune', 'ci', '-f', fx.file]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ci \(ci; keepNewest 5, olderThan 30d, keep \^v\\d; catalog: \d+ repositor(?:y|ies)\)$/);
    expect(lines.find((l) => /^\s+keep\s+build-07\s/.test(l))).toMatch(/in-prod$/);
    expect(lines.find((l) => /^\s+delete\s+build-11-dup\s/.test(l))).toMatch(/eligible$/);
    expect(lines.at(-1)).toBe('dry run: 14 of 30 tags (13 digests, 1 record) would be deleted; 16 kept (stage-tag 1, keep-pattern 2, newest 5, no-age 1, young 2, promoted 1, pending-approval 1, in-prod 1, shared-digest 1, index-child 1); rerun with --confirm to delete');
  });

  it('usage and policy errors: unknown registry (2), a prod registry (3), a registry without a policy (2)', async () => {
    const unknown = await runCli(['prune', 'cii', '-f', fx.file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('regtopo: no registry "cii" in the topology (did you mean "ci"?)\n');
    const prodRun = await runCli(['prune', 'prod', '-f', fx.file, '--output', 'json']);
    expect(prodRun.code).toBe(3);
    expect(prodRun.json().error).toMatchObject({ code: 'E_POLICY', exitCode: 3 });
    const none = await runCli(['prune', 'ci-tests', '-f', fx.file]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/registry "ci-tests" has no retention policy/);
    const jobs = await runCli(['prune', '-j', '0', '-f', fx.file]);
    expect(jobs.code).toBe(2);
  });

  it('--confirm deletes, a second --confirm finds nothing to delete', async () => {
    const first = await runCli(['prune', '--confirm', '-f', fx.file, '--output', 'json']);
    expect(first.code).toBe(0);
    expect(first.json().summary).toMatchObject({ dryRun: false, delete: 14, digests: 13, records: 1, failed: 0 });
    expect((await rawGetManifest(ci.url, fx.repo, 'build-02')).status).toBe(404);
    expect((await rawGetManifest(ci.url, fx.repo, fx.digests['build-07']!)).status).toBe(200);
    const second = await runCli(['prune', '--confirm', '-f', fx.file]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim().split('\n').at(-1)).toMatch(/^0 of 16 tags \(0 digests, 0 records\) deleted; 16 kept/);
  });

  it('a registry that refuses deletes: exit 1 and one line naming storage.delete.enabled', async () => {
    const closed = await startTestRegistry('plain', { deleteEnabled: false });
    try {
      const repo = uniqueRepo('app');
      await pushImage(closed.url, repo, 'old', buildImage({ layers: [64], created: '2024-03-01T00:00:00Z' }));
      const dir = mkdtempSync(join(tmpdir(), 'regtopo-prune-cli-'));
      const file = join(dir, 'registries.yaml');
      writeFileSync(file, `version: 1\nregistries:\n  sandbox: {role: sandbox, url: ${closed.url}, retention: {olderThan: 7d}}\n`);
      const r = await runCli(['prune', '--confirm', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('regtopo: registry "sandbox" refuses deletes (405 UNSUPPORTED): enable storage.delete.enabled in its configuration (Distribution config.yml), then rerun\n');
      expect((await rawGetManifest(closed.url, repo, 'old')).status).toBe(200);
    } finally {
      await closed.stop();
    }
  });
});
