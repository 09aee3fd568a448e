import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTopology } from '../../src/ops/check.js';
import { parseTopology, requireValidTopology } from '../../src/topology/index.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { BLOB_GET_PATH, peakConcurrency, startFaultProxy } from '../support/fault-proxy.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from '../cli/run-cli.js';

const skip = registrySkipReason('token');
if (skip) console.warn(`skipping live topology tests: ${skip}`);

describe.skipIf(skip)('topology against live registries: check and write authority', () => {
  let ci: TestRegistry;
  let prod: TestRegistry;
  let archive: TestRegistry;
  let file: string;
  let yaml: string;
  const env = () => ({ PROD_USER: prod.username!, PROD_PASS: prod.password! });
  const repo = uniqueRepo('topo');
  const built = buildImage({ layers: [5000] });

  beforeAll(async () => {
    [ci, prod, archive] = await Promise.all([
      startTestRegistry('plain'),
      // Prod: anyone may pull, only the promoter credential may push.
      startTestRegistry('token', { tokenAnonymous: [{ repo: '**', actions: ['pull'] }] }),
      // Archive left wide open: the audit must flag it.
      startTestRegistry('plain'),
    ]);
    yaml = [
      'version: 1',
      'registries:',
      `  ci: { role: ci, url: "http://${ci.host}" }`,
      `  prod: { role: prod, url: "http://${prod.host}", credentials: { env: { username: PROD_USER, password: PROD_PASS } } }`,
      `  archive: { role: archive, url: "http://${archive.host}" }`,
      '',
    ].join('\n');
    file = join(mkdtempSync(join(tmpdir(), 'regtopo-topo-')), 'registries.yaml');
    writeFileSync(file, yaml);
    await pushImage(ci.url, repo, 'v1', built);
  });
  afterAll(async () => {
    await Promise.all([ci?.stop(), prod?.stop(), archive?.stop()]);
  });

  it('check reports one line per registry and flags write authority that is not enforced', async () => {
    const config = requireValidTopology(parseTopology(yaml, 'registries.yaml'));
    const result = await checkTopology(config, { env: env() });
    const byName = Object.fromEntries(result.registries.map((r) => [r.name, r]));
    expect(byName.prod).toMatchObject({ reachable: true, access: 'authenticated', writableBy: [], findings: [] });
    expect(byName.ci!.findings).toEqual(['anonymous can open an upload on ci registry "ci" (write authority not enforced)']);
    expect(byName.archive!.findings).toEqual(['anonymous can open an upload on archive registry "archive" (write authority not enforced)']);
    expect(result.findings).toBe(2);

    const cli = await runCli(['check', '-f', file], env());
    expect(cli.code).toBe(9);
    const lines = cli.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^prod +prod +http:\/\/127\.0\.0\.1:\d+ +ok \(authenticated, probes could not write\)$/);
    expect(lines[3]).toBe('3 registries checked, 2 findings');
  });

  it('check flags refused credentials and unreachable registries', async () => {
    const config = requireValidTopology(parseTopology(yaml.replace(`http://${archive.host}`, 'http://127.0.0.1:1'), 'registries.yaml'));
    const result = await checkTopology(config, { env: { PROD_USER: prod.username!, PROD_PASS: 'wrong' } });
    const byName = Object.fromEntries(result.registries.map((r) => [r.name, r]));
    expect(byName.prod!.access).toBe('refused');
    expect(byName.prod!.findings).toContain('configured credentials were refused');
    expect(byName.archive!.reachable).toBe(false);
    expect(byName.archive!.findings[0]).toMatch(/ECONNREFUSED/);
  });

  it('copy and tag into prod are refused before anything is written; ci accepts them', async () => {
    const refused = await runCli(['copy', `${ci.host}/${repo}:v1`, `${prod.host}/${repo}:v1`, '-f', file], env());
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe('regtopo: refusing to copy into registry "prod" (role prod): prod is written only by promotion; declare a promotion stage into it and use regtopo promote [rule write-authority]\n');
    expect((await rawGetManifest(prod.url, repo, 'v1', { auth: { username: prod.username!, password: prod.password! } })).status).toBe(404);

    const ok = await runCli(['copy', `${ci.host}/${repo}:v1`, `${ci.host}/${repo}-copy:v1`, '-f', file, '-o', 'json'], env());
    expect(ok.code).toBe(0);
    expect(ok.json().digest).toBe(built.digest);

    const tagRefused = await runCli(['tag', `${archive.host}/${repo}:v1`, 'stable', '-f', file, '-o', 'json'], env());
    expect(tagRefused.code).toBe(3);
    expect(tagRefused.json().error.code).toBe('E_POLICY');
    expect(tagRefused.json().error.message).toContain('refusing to tag into registry "archive" (role archive)');
  });

  it('a changed topology file takes effect on the next run (the validated-config cache is keyed by content)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-edit-'));
    const path = join(dir, 'registries.yaml');
    writeFileSync(path, yaml);
    const before = await runCli(['copy', `${ci.host}/${repo}:v1`, `${archive.host}/${repo}:edited`, '-f', path]);
    expect(before.code).toBe(3);
    writeFileSync(path, yaml.replace('archive: { role: archive', 'archive: { role: sandbox'));
    const after = await runCli(['copy', `${ci.host}/${repo}:v1`, `${archive.host}/${repo}:edited`, '-f', path]);
    expect(after.code).toBe(0);
    writeFileSync(path, 'version: 1\nregistries: {}\nbogus: 1\n');
    const broken = await runCli(['copy', `${ci.host}/${repo}:v1`, `${archive.host}/${repo}:edited2`, '-f', path]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('[unknown-key] unknown key "bogus"');
  });

  it('./registries.yaml in the working directory applies without -f', async () => {
    const dir = join(file, '..');
    const r = await runCli(['copy', `${ci.host}/${repo}:v1`, `${archive.host}/${repo}:v1`], env(), dir);
    expect(r.code).toBe(3);
    const invalid = mkdtempSync(join(tmpdir(), 'regtopo-bad-'));
    writeFileSync(join(invalid, 'registries.yaml'), 'version: 2\n');
    const bad = await runCli(['copy', `${ci.host}/${repo}:v1`, `${ci.host}/${repo}:v2`], {}, invalid);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('regtopo: topology file registries.yaml is invalid (2 errors; run regtopo validate): registries.yaml:1:1: error [schema] missing required key "registries"\n');
  });
});

describe.skipIf(skip)('limits.concurrency caps parallel transfers', () => {
  it('a copy into a registry limited to 2 never runs more than 2 blob uploads at once', async () => {
    const [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    const front = await startFaultProxy(dst.url);
    try {
      const repo = uniqueRepo('limited');
      await pushImage(src.url, repo, 'v1', buildImage({ layers: [60_000, 60_001, 60_002, 60_003, 60_004, 60_005] }));
      const dir = mkdtempSync(join(tmpdir(), 'regtopo-limit-'));
      const file = join(dir, 'registries.yaml');
      const limited = (n: number) => `version: 1\nregistries:\n  ci: { role: ci, url: "http://${front.host}", limits: { concurrency: ${n} } }\n`;
      const uploads = (r: { method: string; path: string }) => r.method === 'PUT' && r.path.includes('/blobs/uploads/');
      const slowSource = await startFaultProxy(src.url);
      slowSource.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'slowBody', bytesPerSecond: 400_000 } });
      try {
        writeFileSync(file, limited(2));
        const r = await runCli(['copy', `${slowSource.host}/${repo}:v1`, `${front.host}/${repo}:v1`, '-f', file]);
        expect(r.code).toBe(0);
        expect(peakConcurrency(front.requests, uploads)).toBe(2);
        front.reset();
        writeFileSync(file, limited(16)); // a limit above the default never raises it
        // A cache of its own: the first copy's blob locations would otherwise turn every upload into a mount.
        const wide = await runCli(['copy', `${slowSource.host}/${repo}:v1`, `${front.host}/${repo}-b:v1`, '-f', file], { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-limit-cache-')) });
        expect(wide.code).toBe(0);
        expect(peakConcurrency(front.requests, uploads)).toBeGreaterThan(2);
        expect(peakConcurrency(front.requests, uploads)).toBeLessThanOrEqual(8);
      } finally {
        await slowSource.stop();
      }
    } finally {
      await front.stop();
      await Promise.all([src.stop(), dst.stop()]);
    }
  });
});
