import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { backup, readRefs, restore, verifyLayout } from '../../src/ops/backup/index.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import type { RegistryClient } from '../../src/registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, buildIndex, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoInspectRaw } from '../support/skopeo.js';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/regtopo.js');
const skip = registrySkipReason();

describe.skipIf(skip)('backup and restore: prod into an OCI layout and back, against real registries', () => {
  let prod: TestRegistry;
  let proxy: FaultProxy;
  let topology: Topology;
  let file: string;
  let client: RegistryClient;
  const layout = () => mkdtempSync(join(tmpdir(), 'regtopo-backup-'));

  beforeAll(async () => {
    prod = await startTestRegistry('plain');
    proxy = await startFaultProxy(prod.url);
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-backup-topo-'));
    const text = `version: 1\nregistries:\n  prod: {role: prod, url: ${proxy.url}, backup: {target: 'oci:${join(dir, 'default-layout')}'}}\n`;
    file = join(dir, 'registries.yaml');
    writeFileSync(file, text);
    topology = requireValidTopology(parseTopology(text, file));
    client = clientForTopology(topology, { credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.stop();
    await prod?.stop();
  });

  it('is incremental: refs REPOSITORY:TAG that skopeo and umoci read, blobs written once, a second run reads no blob and makes one manifest request per tag', async () => {
    const dir = layout();
    const a = uniqueRepo('team');
    const b = uniqueRepo('team');
    const shared = buildImage({ layers: [8192, 100] });
    const index = buildIndex([buildImage({ layers: [500] }), buildImage({ layers: [600], platform: { os: 'linux', architecture: 'arm64' } })]);
    await pushImage(prod.url, a, '1.4.2', shared);
    await pushImage(prod.url, b, '1.0.0', shared);
    await pushImage(prod.url, b, 'multi', index);

    const first = await backup({ topology, client, to: `oci:${dir}` });
    expect(first.ok).toBe(true);
    const refs = await readRefs(dir);
    expect(refs.get(`${a}:1.4.2`)?.digest).toBe(shared.digest);
    expect(refs.get(`${b}:multi`)?.digest).toBe(index.digest);
    expect((await skopeoInspectRaw(`oci:${dir}:${a}:1.4.2`)).equals(shared.manifest)).toBe(true);
    expect((await skopeoInspectRaw(`oci:${dir}:${b}:multi`)).equals(index.manifest)).toBe(true);
    const { stdout } = await run('umoci', ['ls', '--layout', dir]);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining([`${a}:1.4.2`, `${b}:1.0.0`, `${b}:multi`]));
    // The shared layer is one file whatever number of repositories hold it.
    expect(readdirSync(join(dir, 'blobs', 'sha256')).filter((f) => f === shared.layers[0]!.digest.slice(7))).toHaveLength(1);

    proxy.reset();
    const second = await backup({ topology, client, to: `oci:${dir}` });
    const tags = second.registries[0]!.refs.length;
    expect(second.summary).toMatchObject({ unchanged: tags, added: 0, moved: 0, failed: 0 });
    expect(proxy.requests.filter((r) => r.path.includes('/blobs/'))).toEqual([]);
    expect(proxy.requests.filter((r) => r.path.includes('/manifests/')).map((r) => r.method)).toEqual(Array(tags).fill('HEAD'));
  });

  it('keeps the old digest of a moved tag under a history ref before moving the ref; nothing is deleted', async () => {
    const dir = layout();
    const repo = uniqueRepo('team');
    const old = buildImage();
    await pushImage(prod.url, repo, 'latest', old);
    await backup({ topology, client, to: `oci:${dir}` });
    const moved = buildImage();
    await pushImage(prod.url, repo, 'latest', moved);
    const when = Date.UTC(2026, 11, 1);
    const report = await backup({ topology, client, to: `oci:${dir}`, now: () => when });
    const entry = report.registries[0]!.refs.find((r) => r.ref === `${repo}:latest`)!;
    const history = `${repo}:latest-rt-20261201-${old.digest.slice(7, 19)}`;
    expect(entry).toMatchObject({ action: 'moved', digest: moved.digest, previous: old.digest, historyRef: history });
    const refs = await readRefs(dir);
    expect(refs.get(`${repo}:latest`)?.digest).toBe(moved.digest);
    expect(refs.get(history)?.digest).toBe(old.digest);
    expect((await skopeoInspectRaw(`oci:${dir}:${history}`)).equals(old.manifest)).toBe(true);
  });

  it('--verify re-hashes the layout and names a blob with one flipped byte', async () => {
    const dir = layout();
    const repo = uniqueRepo('team');
    const image = buildImage({ layers: [4096] });
    await pushImage(prod.url, repo, '1', image);
    const clean = await backup({ topology, client, to: `oci:${dir}`, verify: true });
    expect(clean.registries[0]!.verify).toMatchObject({ ok: true, mismatched: [], missing: [] });
    // umoci resolves the REPOSITORY:TAG ref and reads manifest and config (oci-image-tool 1.0.0-rc cannot:
    // it does not know image indexes, which other refs of the layout are).
    const { stdout: stat } = await run('umoci', ['stat', '--image', `${dir}:${repo}:1`]);
    expect(stat).toContain('regtopo-test');
    const path = join(dir, 'blobs', 'sha256', image.layers[0]!.digest.slice(7));
    const bytes = readFileSync(path);
    bytes[100] ^= 0x01;
    writeFileSync(path, bytes);
    const verified = await verifyLayout(dir);
    expect(verified.ok).toBe(false);
    expect(verified.mismatched.map((m) => m.digest)).toEqual([image.layers[0]!.digest]);
    const again = await backup({ topology, client, to: `oci:${dir}`, verify: true });
    expect(again.ok).toBe(false);
    // Restore refuses a layout that fails verification, before sending anything.
    const empty = await startTestRegistry('plain');
    try {
      await expect(restore(dir, empty.host, { client })).rejects.toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringMatching(/nothing restored/) });
      expect((await rawGetManifest(empty.url, repo, '1')).status).toBe(404);
    } finally {
      await empty.stop();
    }
  });

  it('restore round trip: every ref back into an empty registry, read back by skopeo byte-exact', async () => {
    const dir = layout();
    const repo = uniqueRepo('team');
    const image = buildImage({ layers: [3000, 200] });
    const index = buildIndex([buildImage(), buildImage({ platform: { os: 'linux', architecture: 'arm64' } })]);
    await pushImage(prod.url, repo, '1.0.0', image);
    await pushImage(prod.url, repo, 'multi', index);
    await backup({ topology, client, to: `oci:${dir}` });
    const empty = await startTestRegistry('plain');
    try {
      const dry = await restore(`oci:${dir}`, empty.host, { client, repositories: [repo], dryRun: true });
      expect(dry.refs.map((r) => r.action)).toEqual(['would-restore', 'would-restore']);
      expect((await rawGetManifest(empty.url, repo, '1.0.0')).status).toBe(404);
      const report = await restore(`oci:${dir}`, empty.host, { client, repositories: [repo] });
      expect(report.ok).toBe(true);
      expect(report.refs.map((r) => [r.tag, r.action])).toEqual([['1.0.0', 'restored'], ['multi', 'restored']]);
      expect((await skopeoInspectRaw(`${empty.host}/${repo}:1.0.0`)).equals(image.manifest)).toBe(true);
      expect((await skopeoInspectRaw(`${empty.host}/${repo}:multi`)).equals(index.manifest)).toBe(true);
      const rerun = await restore(`oci:${dir}`, empty.host, { client, repositories: [repo] });
      expect(rerun.refs.map((r) => r.action)).toEqual(['in-sync', 'in-sync']);
    } finally {
      await empty.stop();
    }
  });

  it('restore into a topology prod says it is a recovery action outside write authority', async () => {
    const dir = layout();
    const repo = uniqueRepo('team');
    await pushImage(prod.url, repo, '1', buildImage());
    await backup({ topology, client, to: `oci:${dir}` });
    const report = await restore(`oci:${dir}`, 'prod', { topology, client, repositories: [repo], dryRun: true });
    expect(report.target).toMatchObject({ name: 'prod', role: 'prod' });
    expect(report.notice).toMatch(/restore writes into "prod" \(role prod\).*explicit recovery action, outside the topology's write authority/);
  });

  it('two backups racing into one layout (same process) leave every ref exactly once and every blob intact, over 10 trials', async () => {
    const repo = uniqueRepo('race');
    for (const t of ['1', '2', '3']) await pushImage(prod.url, repo, t, buildImage({ layers: [20_000, 300] }));
    for (let trial = 0; trial < 10; trial++) {
      const dir = layout();
      const [x, y] = await Promise.all([backup({ topology, client, to: `oci:${dir}` }), backup({ topology, client, to: `oci:${dir}` })]);
      expect(x.ok && y.ok).toBe(true);
      const { manifests } = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
      const names = manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']);
      expect(new Set(names).size).toBe(names.length);
      for (const t of ['1', '2', '3']) expect(names).toContain(`${repo}:${t}`);
      expect((await verifyLayout(dir)).ok).toBe(true);
      expect(readdirSync(join(dir, 'blobs', 'sha256')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  }, 120_000);

  it('kill -9 mid-backup leaves a layout skopeo and umoci still read, and the next run completes it', async () => {
    const dir = layout();
    const before = uniqueRepo('team');
    const early = buildImage({ layers: [1000] });
    await pushImage(prod.url, before, '1', early);
    await backup({ topology, client, to: `oci:${dir}` });

    const big = uniqueRepo('zz-big');
    const image = buildImage({ layers: [50_000, 800_000, 800_000] });
    await pushImage(prod.url, big, '1', image);
    proxy.reset();
    proxy.addRule({ method: 'GET', path: /\/blobs\/sha256:/, fault: { kind: 'slowBody', bytesPerSecond: 200_000 } });
    const child = spawn(process.execPath, [BIN, 'backup', '-f', file, '--to', `oci:${dir}`], { stdio: 'ignore', env: { ...process.env, DOCKER_CONFIG: dir } });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // Kill once the big image's first layer is in (its file renamed into place) and more are streaming.
    const first = join(dir, 'blobs', 'sha256', image.layers[0]!.digest.slice(7));
    const others = image.layers.slice(1).map((l) => join(dir, 'blobs', 'sha256', l.digest.slice(7)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(first) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(first)).toBe(true);
    expect(others.every((p) => existsSync(p))).toBe(false);
    proxy.clearRules();

    expect((await readRefs(dir)).has(`${big}:1`)).toBe(false);
    expect((await skopeoInspectRaw(`oci:${dir}:${before}:1`)).equals(early.manifest)).toBe(true);
    const { stdout } = await run('umoci', ['ls', '--layout', dir]);
    expect(stdout).toContain(`${before}:1`);

    const rerun = await backup({ topology, client, to: `oci:${dir}`, verify: true });
    expect(rerun.ok).toBe(true);
    expect(rerun.registries[0]!.refs.find((r) => r.ref === `${big}:1`)).toMatchObject({ action: 'added', digest: image.digest });
    expect((await skopeoInspectRaw(`oci:${dir}:${big}:1`)).equals(image.manifest)).toBe(true);
    expect(proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(image.layers[0]!.digest))).toHaveLength(1);
  }, 60_000);
});
