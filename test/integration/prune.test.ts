import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { prune, DeletesRefusedError, type PruneReport } from '../../src/ops/prune/index.js';
import { listRecords } from '../../src/ops/promotion/records.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import { Reference } from '../../src/ref/reference.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { setupPruneFixture, type PruneFixture } from '../support/prune-fixture.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

function decisions(report: PruneReport, repo: string): Record<string, [string, string]> {
  const r = report.registries[0]!.repositories.find((x) => x.repository === repo)!;
  return Object.fromEntries(r.tags.map((t) => [t.tag, [t.action, t.reason]]));
}

async function status(url: string, repo: string, ref: string): Promise<number> {
  return (await rawGetManifest(url, repo, ref)).status;
}

describe.skipIf(skip)('prune against real registries', () => {
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

  it('dry run lists exactly the expected deletions with reasons, and deletes nothing', async () => {
    const report = await prune({ topology: fx.topology, client: fx.client });
    expect(report.registries.map((r) => r.name)).toEqual(['ci']);
    expect(decisions(report, fx.repo)).toEqual(fx.expected);
    const repo = report.registries[0]!.repositories.find((x) => x.repository === fx.repo)!;
    expect(repo.source).toBe('both');
    // build-11 and build-11-dup are one digest: one delete removes both.
    expect(repo.digests).toHaveLength(13);
    expect(repo.records).toBe(1);
    expect(report.summary).toMatchObject({ dryRun: true, tags: 30, delete: 14, keep: 16, digests: 13, records: 1, failed: 0 });
    expect(report.registries[0]!.catalog.read).toBe(true);
    // Only the eligible-so-far digests are looked up downstream: 2 registries (ci-tests, prod).
    expect(report.summary.lookups).toBeLessThanOrEqual(2 * 15);
    for (const [tag, digest] of Object.entries(fx.digests)) expect((await rawGetManifest(ci.url, fx.repo, tag)).digest).toBe(digest);
  });

  it('--confirm deletes exactly those, keeps every kept tag on its digest, and a second run deletes nothing', async () => {
    const report = await prune({ topology: fx.topology, client: fx.client, confirm: true });
    expect(decisions(report, fx.repo)).toEqual(fx.expected);
    expect(report.summary).toMatchObject({ dryRun: false, delete: 14, digests: 13, records: 1, failed: 0 });

    for (const [tag, [action]] of Object.entries(fx.expected)) {
      const got = await rawGetManifest(ci.url, fx.repo, tag);
      if (action === 'delete') expect(got.status, tag).toBe(404);
      else expect([got.status, got.digest], tag).toEqual([200, fx.digests[tag]]);
    }
    // By digest: prod's digest and the promoted one are still in CI; the shared digest still
    // answers through the kept version tag; the kept index's child is still there.
    expect(await status(ci.url, fx.repo, fx.digests['build-07']!)).toBe(200);
    expect(await status(ci.url, fx.repo, fx.digests['build-05']!)).toBe(200);
    expect((await rawGetManifest(ci.url, fx.repo, 'v1.0.0')).digest).toBe(fx.digests['build-03']);
    expect(await status(ci.url, fx.repo, fx.childDigest)).toBe(200);
    expect(await status(ci.url, fx.repo, fx.digests['build-01']!)).toBe(404);

    // The deleted digest's status record went with it; the promotion and approval records stayed.
    const repo = fx.client.repository(Reference.of(ci.host, fx.repo));
    const statuses = await listRecords(repo, 'status');
    expect(statuses.map((r) => r.subject)).not.toContain(fx.digests['build-01']);
    expect(statuses.map((r) => r.subject)).toEqual(expect.arrayContaining([fx.digests['build-05'], fx.digests['build-09']]));
    expect((await listRecords(repo, 'promotion')).map((r) => r.subject)).toEqual([fx.digests['build-05']]);
    expect((await listRecords(repo, 'approval')).map((r) => r.subject)).toEqual([fx.digests['build-09']]);

    const again = await prune({ topology: fx.topology, client: fx.client, confirm: true });
    expect(again.summary).toMatchObject({ delete: 0, digests: 0, records: 0, tags: 16, keep: 16 });
    const kept = Object.fromEntries(Object.entries(fx.expected).filter(([, [a]]) => a === 'keep'));
    expect(decisions(again, fx.repo)).toEqual(kept);
  });

  it('a tag pushed onto a doomed digest between planning and deleting saves that digest', async () => {
    // A registry of its own: the catalog would otherwise bring the fixture's repository in.
    const own = await startTestRegistry('plain', { deleteEnabled: true });
    const repo = uniqueRepo('app');
    const text = `version: 1\nregistries:\n  ci: {role: ci, url: ${own.url}, retention: {olderThan: 1d}}\n`;
    const topology = requireValidTopology(parseTopology(text, 'registries.yaml'));
    const client = clientForTopology(topology, { credentials: staticCredentials({}) });
    try {
      const images = [1, 2, 3].map((i) => buildImage({ layers: [64], created: `2024-04-0${i}T00:00:00Z` }));
      for (const [i, img] of images.entries()) await pushImage(own.url, repo, `old-${i}`, img);
      let planned = 0;
      const report = await prune({
        topology, client, confirm: true,
        beforeDelete: async (plan) => {
          planned = plan.summary.digests;
          await pushImage(own.url, repo, 'hotfix', images[1]!);
        },
      });
      expect(planned).toBe(3);
      expect(decisions(report, repo)).toEqual({ 'old-0': ['delete', 'eligible'], 'old-1': ['keep', 'shared-digest'], 'old-2': ['delete', 'eligible'] });
      expect(report.summary.digests).toBe(2);
      expect((await rawGetManifest(own.url, repo, 'hotfix')).digest).toBe(images[1]!.digest);
      expect((await rawGetManifest(own.url, repo, 'old-1')).digest).toBe(images[1]!.digest);
      expect((await rawGetManifest(own.url, repo, 'old-0')).status).toBe(404);
    } finally {
      await client.close();
      await own.stop();
    }
  });

  it('a delete the registry refuses for one digest fails that digest only; the rest are deleted and the report says which', async () => {
    const own = await startTestRegistry('plain', { deleteEnabled: true });
    const proxy = await startFaultProxy(own.url);
    const repo = uniqueRepo('app');
    const text = `version: 1\nregistries:\n  ci: {role: ci, url: ${proxy.url}, retention: {olderThan: 1d}}\n`;
    const topology = requireValidTopology(parseTopology(text, 'registries.yaml'));
    const client = clientForTopology(topology, { credentials: staticCredentials({}) });
    try {
      const images = [1, 2, 3].map((i) => buildImage({ layers: [64], created: `2024-05-0${i}T00:00:00Z` }));
      for (const [i, img] of images.entries()) await pushImage(own.url, repo, `old-${i}`, img);
      proxy.addRule({ method: 'DELETE', path: new RegExp(`/manifests/${images[2]!.digest}$`), fault: { kind: 'status', status: 403 } });
      const report = await prune({ topology, client, confirm: true });
      const r = report.registries[0]!.repositories[0]!;
      expect(r.digests.sort()).toEqual([images[0]!.digest, images[1]!.digest].sort());
      expect(r.failed).toEqual([{ digest: images[2]!.digest, code: 'E_DENIED', message: expect.stringContaining('403') }]);
      expect(report.summary).toMatchObject({ delete: 2, digests: 2, failed: 1 });
      expect(r.tags.find((t) => t.tag === 'old-2')).toMatchObject({ action: 'delete', failed: 'E_DENIED' });
      expect((await rawGetManifest(own.url, repo, 'old-2')).digest).toBe(images[2]!.digest);
      expect((await rawGetManifest(own.url, repo, 'old-0')).status).toBe(404);
    } finally {
      await client.close();
      await proxy.stop();
      await own.stop();
    }
  });

  it('a registry without storage.delete.enabled: one clear error naming the setting, and nothing deleted', async () => {
    const closed = await startTestRegistry('plain', { deleteEnabled: false });
    const repo = uniqueRepo('app');
    const text = `version: 1\nregistries:\n  ci: {role: ci, url: ${closed.url}, retention: {olderThan: 1d}}\n`;
    const topology = requireValidTopology(parseTopology(text, 'registries.yaml'));
    const client = clientForTopology(topology, { credentials: staticCredentials({}) });
    try {
      const images = [1, 2, 3].map((i) => buildImage({ layers: [128], created: `2024-02-0${i}T00:00:00Z` }));
      for (const [i, img] of images.entries()) await pushImage(closed.url, repo, `old-${i}`, img);
      const dry = await prune({ topology, client });
      expect(dry.summary).toMatchObject({ delete: 3, digests: 3 });
      const err = await prune({ topology, client, confirm: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeletesRefusedError);
      expect((err as Error).message).toBe('registry "ci" refuses deletes (405 UNSUPPORTED): enable storage.delete.enabled in its configuration (Distribution config.yml), then rerun');
      for (const [i, img] of images.entries()) expect((await rawGetManifest(closed.url, repo, `old-${i}`)).digest).toBe(img.digest);
    } finally {
      await client.close();
      await closed.stop();
    }
  });

  it('an aborted signal stops before the first request with E_INTERRUPTED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(prune({ topology: fx.topology, client: fx.client, signal: controller.signal })).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
  });
});
