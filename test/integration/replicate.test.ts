import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copy } from '../../src/ops/copy.js';
import { evaluateGates } from '../../src/ops/promotion/gates.js';
import { inventory } from '../../src/ops/promotion/inventory.js';
import { promote } from '../../src/ops/promotion/promote.js';
import { setStatus } from '../../src/ops/promotion/statuses.js';
import { statusesOf } from '../../src/ops/promotion/statuses.js';
import { replicate } from '../../src/ops/replicate/index.js';
import type { ReplicateReport } from '../../src/ops/replicate/index.js';
import { listCatalog } from '../../src/registry/catalog.js';
import { Reference } from '../../src/ref/reference.js';
import { assertWriteAllowed, writeGuard } from '../../src/topology/write-authority.js';
import { buildArtifact, buildImage, buildIndex, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { listReferrers } from '../../src/registry/referrers.js';
import { pushVersioned } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { replicationFixture, startReplicationRegistries, type ReplicationFixture, type ReplicationRegistries } from '../support/replication-topology.js';

const skip = registrySkipReason();

function actions(report: ReplicateReport, replica: string): Record<string, string> {
  const r = report.replicas.find((x) => x.name === replica)!;
  return Object.fromEntries(r.tags.map((t) => [t.tag, t.action]));
}

describe.skipIf(skip)('replicate: prod → prod-eu, prod-us against real registries', () => {
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
  const resetProxies = () => Object.values(regs.proxies).forEach((p) => p.reset());

  it('converges: copied, then in sync for one HEAD per tag on each side, a moved tag is updated, an extra tag is kept until --prune', async () => {
    const { repo, topology, client } = setup();
    const image = buildImage({ layers: [4096, 2048] });
    const index = buildIndex([buildImage({ layers: [1024] }), buildImage({ layers: [1024], platform: { os: 'linux', architecture: 'arm64' } })]);
    await pushImage(regs.prod.url, repo, '1.0.0', image);
    await pushImage(regs.prod.url, repo, 'latest', image);
    await pushImage(regs.prod.url, repo, '2.0.0', index);
    await setStatus(Reference.parse(`${regs.proxies.prod.host}/${repo}:1.0.0`), 'scan', 'clean', { client, by: 'scanner' });

    const first = await replicate({ topology, client });
    expect(first.ok).toBe(true);
    for (const name of ['prod-eu', 'prod-us']) {
      const a = actions(first, name);
      expect(a['1.0.0']).toBe('copied');
      expect(a['2.0.0']).toBe('copied');
      expect(Object.keys(a)).toHaveLength(4); // 1.0.0, 2.0.0, latest and the status record's tag
      expect(Object.values(a).every((x) => x === 'copied')).toBe(true);
    }
    for (const reg of [regs.eu, regs.us]) {
      expect((await rawGetManifest(reg.url, repo, '2.0.0')).bytes.equals(index.manifest)).toBe(true);
      expect((await rawGetManifest(reg.url, repo, 'latest')).digest).toBe(image.digest);
    }

    resetProxies();
    const second = await replicate({ topology, client });
    expect(second.summary).toMatchObject({ 'in-sync': 8, copied: 0, updated: 0, failed: 0 });
    // One tag list and one HEAD per tag on each side, nothing else: prod's HEADs are shared by both replicas.
    for (const proxy of [regs.proxies.prod, regs.proxies.eu, regs.proxies.us]) {
      const seen = proxy.requests.map((r) => `${r.method} ${r.path.replace(`/v2/${repo}/`, '')}`.replace(/manifests\/.*/, 'manifests/*'));
      expect(seen.sort()).toEqual(['GET tags/list', 'HEAD manifests/*', 'HEAD manifests/*', 'HEAD manifests/*', 'HEAD manifests/*']);
    }

    const moved = buildImage({ layers: [3000] });
    await pushImage(regs.prod.url, repo, 'latest', moved);
    await pushImage(regs.eu.url, repo, 'stray', buildImage({ layers: [100] }));
    const third = await replicate({ topology, client });
    const eu = third.replicas.find((r) => r.name === 'prod-eu')!;
    expect(eu.tags.find((t) => t.tag === 'latest')).toMatchObject({ action: 'updated', digest: moved.digest, previous: image.digest });
    expect(eu.tags.find((t) => t.tag === 'stray')).toMatchObject({ action: 'extra' });
    expect(third.ok).toBe(true);
    expect((await rawGetManifest(regs.eu.url, repo, 'stray')).status).toBe(200);

    const pruned = await replicate({ topology, client, prune: true, replicas: ['prod-eu'] });
    expect(pruned.replicas.map((r) => r.name)).toEqual(['prod-eu']);
    expect(pruned.replicas[0]!.tags.find((t) => t.tag === 'stray')).toMatchObject({ action: 'extra', pruned: true });
    expect(pruned.summary.pruned).toBe(1);
    expect((await rawGetManifest(regs.eu.url, repo, 'stray')).status).toBe(404);
    expect((await rawGetManifest(regs.eu.url, repo, '1.0.0')).digest).toBe(image.digest);
  });

  it('--prune leaves an extra tag in place, failing it, when the registry deletes only by digest and a kept tag shares that digest', async () => {
    const { repo, topology, client } = setup();
    const image = buildImage();
    await pushImage(regs.prod.url, repo, '1.0.0', image);
    await replicate({ topology, client, replicas: ['prod-eu'] });
    await pushImage(regs.eu.url, repo, 'alias', image);
    const report = await replicate({ topology, client, replicas: ['prod-eu'], prune: true });
    expect(report.ok).toBe(false);
    const alias = report.replicas[0]!.tags.find((t) => t.tag === 'alias')!;
    expect(alias).toMatchObject({ action: 'failed', error: { code: 'E_REGISTRY' } });
    expect(alias.error!.message).toMatch(/deletes only by digest, and sha256:[a-f0-9]{64} is also held by the kept tag 1\.0\.0; left in place/);
    expect((await rawGetManifest(regs.eu.url, repo, '1.0.0')).digest).toBe(image.digest);
  });

  it('--dry-run reports what would be copied and writes nothing', async () => {
    const { repo, topology, client } = setup();
    await pushImage(regs.prod.url, repo, '1.0.0', buildImage());
    resetProxies();
    const report = await replicate({ topology, client, dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(actions(report, 'prod-eu')).toEqual({ '1.0.0': 'copied' });
    expect(regs.proxies.eu.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
    expect((await rawGetManifest(regs.eu.url, repo, '1.0.0')).status).toBe(404);
  });

  it('a replica that is down fails alone: the other converges and the report says which failed', async () => {
    const { repo, topology, client } = setup({ usUrl: 'http://127.0.0.1:9', attempts: 1 });
    const image = buildImage();
    await pushImage(regs.prod.url, repo, '1.0.0', image);
    const report = await replicate({ topology, client });
    expect(report.ok).toBe(false);
    expect(actions(report, 'prod-eu')).toEqual({ '1.0.0': 'copied' });
    const us = report.replicas.find((r) => r.name === 'prod-us')!;
    expect(us.tags).toHaveLength(1);
    expect(us.tags[0]).toMatchObject({ tag: '1.0.0', action: 'failed', error: { code: 'E_NETWORK' } });
    expect(report.summary).toMatchObject({ copied: 1, failed: 1 });
    expect((await rawGetManifest(regs.eu.url, repo, '1.0.0')).digest).toBe(image.digest);
  });

  it('records travel: a gate evaluated on the replica sees the statuses recorded in prod', async () => {
    const { repo, topology, client } = setup();
    const image = buildImage();
    await pushImage(regs.prod.url, repo, '1.0.0', image);
    const ref = Reference.parse(`${regs.proxies.prod.host}/${repo}:1.0.0`);
    await setStatus(ref, 'scan', 'clean', { client, by: 'scanner' });
    await setStatus(ref, 'tests', 'passed', { client, by: 'ci' });
    await replicate({ topology, client, replicas: ['prod-us'] });
    const replicaRepo = client.repository({ registry: regs.proxies.us.host, repository: repo });
    const { history } = await statusesOf(replicaRepo, image.digest);
    const gates = evaluateGates([{ status: 'scan', in: ['clean'] }, { status: 'tests', equals: 'passed' }], history);
    expect(gates.passed).toBe(true);
    expect(history.map((s) => `${s.name}=${s.value}`).sort()).toEqual(['scan=clean', 'tests=passed']);
  });

  it('other referrers travel: an artifact listed under the OCI fallback tag of the digest reaches the replica', async () => {
    const { repo, topology, client } = setup();
    const image = buildImage();
    await pushImage(regs.prod.url, repo, '1.0.0', image);
    const signature = buildArtifact({ subject: image.descriptor, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' });
    await pushImage(regs.prod.url, repo, undefined, signature);
    await pushImage(regs.prod.url, repo, image.digest.replace(':', '-'), buildIndex([signature]));
    const report = await replicate({ topology, client, replicas: ['prod-eu'] });
    expect(report.ok).toBe(true);
    const found = await listReferrers(client.repository({ registry: regs.proxies.eu.host, repository: repo }), image.digest);
    expect(found.referrers.map((d) => d.digest)).toEqual([signature.digest]);
    expect((await rawGetManifest(regs.eu.url, repo, signature.digest)).bytes.equals(signature.manifest)).toBe(true);
  });

  it('reads a blob from prod once per replica per run, mounting it into the other repositories of the replica', async () => {
    const { topology, client } = setup();
    const shared = buildImage({ layers: [64 * 1024], seed: `shared-${Date.now()}` });
    const a = uniqueRepo('mount');
    const b = uniqueRepo('mount');
    await pushImage(regs.prod.url, a, '1', shared);
    await pushImage(regs.prod.url, b, '1', shared);
    await pushImage(regs.prod.url, b, '2', buildImage({ layers: [64 * 1024, 10] }));
    resetProxies();
    const report = await replicate({ topology, client, all: true, replicas: ['prod-eu'] });
    expect(report.ok).toBe(true);
    const layer = shared.layers[0]!.digest;
    const reads = regs.proxies.prod.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${layer}`));
    expect(reads).toHaveLength(1);
    expect(report.replicas[0]!.mounted).toBeGreaterThanOrEqual(2); // the shared layer and config into the second repository
    expect((await rawGetManifest(regs.eu.url, b, '1')).digest).toBe(shared.digest);
  });

  it('lists the catalog across pages (Distribution paginates _catalog with Link)', async () => {
    const { client } = setup();
    const repos = [uniqueRepo('cat'), uniqueRepo('cat'), uniqueRepo('cat')];
    for (const r of repos) await pushImage(regs.prod.url, r, '1', buildImage({ layers: [10] }));
    regs.proxies.prod.reset();
    const all = await listCatalog(client, regs.proxies.prod.host, { pageSize: 2 });
    for (const r of repos) expect(all).toContain(r);
    expect(new Set(all).size).toBe(all.length);
    expect(regs.proxies.prod.count('GET', /^\/v2\/_catalog$/)).toBeGreaterThan(1);
  });

  it('promote into a prod with replicas replicates what it promoted; a down replica leaves it promoted with E_REPLICATION_INCOMPLETE; --no-replicate skips', async () => {
    const fx = setup();
    await pushVersioned(regs.snapshots, fx.repo, 'latest', '3.1.0');
    const ctx = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
    await setStatus(`${regs.snapshots.host}/${fx.repo}:latest`, 'tests', 'passed', { client: fx.client, by: 'ci' });
    expect((await promote(ctx, { stage: 'tested' })).ok).toBe(true);
    await setStatus(`${regs.tests.host}/${fx.repo}:tested`, 'scan', 'clean', { client: fx.client, by: 'scanner' });
    const report = await promote(ctx, { stage: 'prod' });
    expect(report.ok).toBe(true);
    expect(report.replication?.ok).toBe(true);
    const digest = report.results[0]!.digest!;
    for (const reg of [regs.eu, regs.us]) {
      expect((await rawGetManifest(reg.url, fx.repo, '3.1.0')).digest).toBe(digest);
      expect((await rawGetManifest(reg.url, fx.repo, 'tested')).digest).toBe(digest);
    }
    const inv = await inventory(ctx);
    const prodEntry = inv.find((e) => e.stage === 'prod')!;
    expect(prodEntry.replicas?.map((r) => [r.name, r.digest, r.inSync])).toEqual([['prod-eu', digest, true], ['prod-us', digest, true]]);

    // Same topology with prod-us down: the promotion stands, replication is incomplete.
    const down = setup({ usUrl: 'http://127.0.0.1:9', attempts: 1 });
    await pushVersioned(regs.snapshots, down.repo, 'latest', '3.2.0');
    const dctx = { topology: down.topology, client: down.client, by: 'ci-bot' };
    await setStatus(`${regs.snapshots.host}/${down.repo}:latest`, 'tests', 'passed', { client: down.client, by: 'ci' });
    await promote(dctx, { stage: 'tested' });
    await setStatus(`${regs.tests.host}/${down.repo}:tested`, 'scan', 'clean', { client: down.client, by: 'scanner' });
    const skipped = await promote(dctx, { stage: 'prod', replicate: false });
    expect(skipped.ok).toBe(true);
    expect(skipped.replication).toBeUndefined();
    expect((await rawGetManifest(regs.eu.url, down.repo, '3.2.0')).status).toBe(404);
    const partial = await promote(dctx, { stage: 'prod' });
    expect(partial.ok).toBe(true);
    expect(partial.results[0]!.outcome).toBe('no-op');
    expect(partial.replication).toMatchObject({ ok: false, errorCode: 'E_REPLICATION_INCOMPLETE' });
    expect(partial.replication!.message).toMatch(/promoted, replication incomplete: prod-us did not converge; rerun regtopo replicate/);
    expect((await rawGetManifest(regs.eu.url, down.repo, '3.2.0')).status).toBe(200);
  });

  it('an aborted signal stops the run with E_INTERRUPTED between steps, writing nothing more', async () => {
    const { repo, topology, client } = setup();
    await pushImage(regs.prod.url, repo, '1.0.0', buildImage());
    await pushImage(regs.prod.url, repo, '2.0.0', buildImage());
    const controller = new AbortController();
    regs.proxies.eu.reset();
    // Abort once the first manifest lands in prod-eu, mid-run.
    const onPut = setInterval(() => {
      if (regs.proxies.eu.requests.some((r) => r.method === 'PUT' && r.path.includes('/manifests/'))) controller.abort();
    }, 1);
    try {
      await expect(replicate({ topology, client, replicas: ['prod-eu'], signal: controller.signal })).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    } finally {
      clearInterval(onPut);
    }
    const aborted = new AbortController();
    aborted.abort();
    regs.proxies.us.reset();
    await expect(replicate({ topology, client, signal: aborted.signal })).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(regs.proxies.us.requests).toEqual([]);
  });

  it('write authority: replicas take replication only; an ad-hoc copy into a replica is refused before any request', async () => {
    const { repo, topology, client } = setup();
    const target = Reference.parse(`${regs.proxies.eu.host}/${repo}:1.0.0`);
    expect(() => assertWriteAllowed(topology, target, 'replicate')).not.toThrow();
    expect(() => assertWriteAllowed(topology, target, 'promote')).toThrow(/refusing to promote into registry "prod-eu" \(role replica\)/);
    await pushImage(regs.prod.url, repo, '1.0.0', buildImage());
    regs.proxies.eu.reset();
    await expect(copy(`${regs.proxies.prod.host}/${repo}:1.0.0`, target.toString(), { client, authorizeWrite: writeGuard(topology, 'copy') }))
      .rejects.toMatchObject({ code: 'E_POLICY', message: expect.stringMatching(/replica is written only by replication from its prod/) });
    expect(regs.proxies.eu.requests).toEqual([]);
  });
});
