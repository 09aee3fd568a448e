import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setStatus } from '../../src/ops/promotion/statuses.js';
import { buildImage, pushImage, rawGetManifest } from '../support/images.js';
import { pushVersioned } from '../support/promotion-topology.js';
import { registrySkipReason, startTestRegistry } from '../support/registry.js';
import { replicationFixture, startReplicationRegistries, type ReplicationFixture, type ReplicationRegistries } from '../support/replication-topology.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('regtopo replicate / backup / restore and promote → replicate (the built CLI)', () => {
  let regs: ReplicationRegistries;
  const fixtures: ReplicationFixture[] = [];
  beforeAll(async () => {
    regs = await startReplicationRegistries();
  });
  afterAll(async () => {
    await Promise.all(fixtures.map((f) => f.client.close()));
    await regs?.stop();
  });
  const setup = (options?: Parameters<typeof replicationFixture>[1]) => {
    const fx = replicationFixture(regs, options);
    fixtures.push(fx);
    return fx;
  };

  it('--help shows examples for replicate, backup and restore', async () => {
    for (const cmd of ['replicate', 'backup', 'restore']) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain(`regtopo ${cmd}`);
    }
    expect((await runCli(['promote', '--help'])).stdout).toContain('--no-replicate');
  });

  it('replicate --output json reports per replica and tag, then in sync; a down replica exits 1', async () => {
    const fx = setup();
    const image = buildImage();
    await pushImage(regs.prod.url, fx.repo, '1.0.0', image);
    const first = await runCli(['replicate', '-f', fx.file, '--output', 'json']);
    expect(first.code).toBe(0);
    const report = first.json();
    expect(report.replicas.map((r: any) => [r.name, r.registry])).toEqual([['prod-eu', regs.proxies.eu.host], ['prod-us', regs.proxies.us.host]]);
    expect(report.replicas[0].tags).toEqual([{ repository: fx.repo, tag: '1.0.0', digest: image.digest, action: 'copied' }]);
    expect(report.summary).toMatchObject({ replicas: 2, copied: 2, failed: 0 });
    const text = await runCli(['replicate', '-f', fx.file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('prod-eu (');
    expect(text.stdout).toContain('0 copied, 0 updated, 1 in sync, 0 extra, 0 failed');

    const down = setup({ usUrl: 'http://127.0.0.1:9' });
    await pushImage(regs.prod.url, down.repo, '1.0.0', image);
    const partial = await runCli(['replicate', '-f', down.file, '--output', 'json']);
    expect(partial.code).toBe(1);
    expect(partial.json().summary).toMatchObject({ copied: 1, failed: 1 });
  }, 60_000);

  it('promote into a prod whose replica is down stays promoted and exits 15; copy into a replica is refused with exit 3', async () => {
    const fx = setup({ usUrl: 'http://127.0.0.1:9' });
    await pushVersioned(regs.snapshots, fx.repo, 'latest', '5.0.0');
    await setStatus(`${regs.snapshots.host}/${fx.repo}:latest`, 'tests', 'passed', { client: fx.client, by: 'ci' });
    expect((await runCli(['promote', 'app', '--to', 'tested', '-f', fx.file])).code).toBe(0);
    await setStatus(`${regs.tests.host}/${fx.repo}:tested`, 'scan', 'clean', { client: fx.client, by: 'scanner' });
    const r = await runCli(['promote', 'app', '--to', 'prod', '-f', fx.file]);
    expect(r.code).toBe(15);
    expect(r.stdout).toMatch(/app → prod: promoted sha256:/);
    expect(r.stdout).toMatch(/replicated to prod-eu \(.*\): in sync/);
    expect(r.stdout).toMatch(/replicated to prod-us \(.*\): INCOMPLETE/);
    expect(r.stdout).toContain('promoted, replication incomplete: prod-us did not converge; rerun regtopo replicate');
    expect((await rawGetManifest(regs.prod.url, fx.repo, '5.0.0')).status).toBe(200);
    expect((await rawGetManifest(regs.eu.url, fx.repo, '5.0.0')).status).toBe(200);

    const inv = await runCli(['inventory', '-f', fx.file]);
    expect(inv.code).toBe(0);
    expect(inv.stdout).toMatch(/replica prod-eu: sha256:[a-f0-9]{64} in sync/);
    expect(inv.stdout).toMatch(/replica prod-us: unreachable \[E_NETWORK\]/);

    const refused = await runCli(['copy', `${regs.proxies.prod.host}/${fx.repo}:5.0.0`, `${regs.proxies.eu.host}/${fx.repo}:copied`, '-f', fx.file]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refusing to copy into registry "prod-eu" \(role replica\)/);
  }, 60_000);

  it('backup then restore through the CLI, JSON reports, restore names the kind of write', async () => {
    const fx = setup();
    const image = buildImage({ layers: [2000] });
    await pushImage(regs.prod.url, fx.repo, '2.0.0', image);
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-cli-backup-'));
    const saved = await runCli(['backup', 'prod', '--to', `oci:${dir}`, '--verify', '-f', fx.file, '--output', 'json']);
    expect(saved.code).toBe(0);
    const report = saved.json();
    expect(report.registries[0].refs).toContainEqual({ ref: `${fx.repo}:2.0.0`, digest: image.digest, action: 'added' });
    expect(report.registries[0].verify.ok).toBe(true);
    const empty = await startTestRegistry('plain');
    try {
      const r = await runCli(['restore', `oci:${dir}`, empty.host, '--repository', fx.repo]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`restore writes into ${empty.host}`);
      expect(r.stdout).toMatch(/1 restored/);
      expect((await rawGetManifest(empty.url, fx.repo, '2.0.0')).digest).toBe(image.digest);
    } finally {
      await empty.stop();
    }
  }, 60_000);
});
