/**
 * The multi-image operations report each inner copy's progress with the image it belongs to
 * (src/ops/image-progress.ts): per image a `plan` first, then one `blob` event per planned blob,
 * bytes adding up to the planned total. Against real registries.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CopyEvent } from '../../src/ops/copy-progress.js';
import { backup } from '../../src/ops/backup/backup.js';
import { restore } from '../../src/ops/backup/restore.js';
import { mirror } from '../../src/ops/mirror/run.js';
import { setStatus, type PromotionContext } from '../../src/ops/promotion/index.js';
import { promote } from '../../src/ops/promotion/promote.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import { staticCredentials } from '../../src/auth/credential.js';
import { buildImage, buildIndex, pushImage, uniqueRepo } from '../support/images.js';
import { startMirrorEnv, type MirrorEnv } from '../support/mirror-env.js';
import { promotionFixture, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { replicationFixture, startReplicationRegistries } from '../support/replication-topology.js';
import { replicate } from '../../src/ops/replicate/replicate.js';
import { registrySkipReason } from '../support/registry.js';

/** Collects events by image and checks each image's stream is a whole copy: plan, then its blobs. */
function recorder() {
  const events = new Map<string, CopyEvent[]>();
  const progress = (image: string, e: CopyEvent) => {
    if (!events.has(image)) events.set(image, []);
    events.get(image)!.push(e);
  };
  const wholeCopy = (image: string) => {
    const list = events.get(image);
    expect(list, `events for ${image} (got ${[...events.keys()].join(', ')})`).toBeDefined();
    expect(list![0]!.type).toBe('plan');
    const plan = list![0] as Extract<CopyEvent, { type: 'plan' }>;
    const blobs = list!.filter((e) => e.type === 'blob') as Array<Extract<CopyEvent, { type: 'blob' }>>;
    expect(plan.blobs).toBeGreaterThan(0);
    expect(blobs).toHaveLength(plan.blobs);
    expect(blobs.reduce((n, b) => n + b.size, 0)).toBe(plan.bytes);
    expect(list!.filter((e) => e.type === 'plan')).toHaveLength(1);
    return { plan, blobs };
  };
  return { events, progress, wholeCopy };
}

describe.skipIf(registrySkipReason())('progress of multi-image operations, per image', () => {
  let mirrors: MirrorEnv;
  let regs: PromotionRegistries;
  beforeAll(async () => {
    [mirrors, regs] = await Promise.all([startMirrorEnv(), startPromotionRegistries()]);
  });
  afterAll(async () => {
    await Promise.all([mirrors?.stop(), regs?.stop()]);
  });

  it('mirror: every tag copied side by side gets its own plan and blob events, named by its archive reference', async () => {
    const repo = uniqueRepo('library');
    await mirrors.seed(repo, '1.0.0', buildImage({ layers: [3000, 5000] }));
    await mirrors.seed(repo, '1.1.0', buildIndex([buildImage({ layers: [7000] }), buildImage({ layers: [9000], platform: { os: 'linux', architecture: 'arm64' } })]));
    const topology = mirrors.topology([{ name: 'app', repository: repo, tags: ['1.0.0', '1.1.0'] }]);
    const client = clientForTopology(topology, { credentials: staticCredentials({}) });
    const r = recorder();
    try {
      const report = await mirror(topology, { client, progress: r.progress });
      expect(report.summary.copied).toBe(2);
    } finally {
      await client.close();
    }
    expect([...r.events.keys()].sort()).toEqual([`${mirrors.archive.host}/${repo}:1.0.0`, `${mirrors.archive.host}/${repo}:1.1.0`]);
    expect(r.wholeCopy(`${mirrors.archive.host}/${repo}:1.0.0`).plan.blobs).toBe(3);
    expect(r.wholeCopy(`${mirrors.archive.host}/${repo}:1.1.0`).plan.blobs).toBe(4);
  });

  it('promote, backup and restore: the promoted image by name, each backed-up and restored tag by reference', async () => {
    const fx = promotionFixture(regs, { noApproval: true });
    const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci' };
    try {
      await pushImage(regs.snapshots.url, fx.repo, 'latest', buildImage({ layers: [4000, 6000] }));
      await setStatus(`${regs.snapshots.host}/${fx.repo}:latest`, 'tests', 'passed', { client: fx.client, topology: fx.topology, by: 'ci' });
      const promoted = recorder();
      const report = await promote(ctx, { stage: 'tested', progress: promoted.progress });
      expect(report.results[0]!.outcome).toBe('promoted');
      expect([...promoted.events.keys()]).toEqual(['app']);
      expect(promoted.wholeCopy('app').blobs.every((b) => b.how === 'copied')).toBe(true);

      const dir = mkdtempSync(join(tmpdir(), 'regtopo-progress-backup-'));
      const saved = recorder();
      const b = await backup({ topology: fx.topology, client: fx.client, registries: ['ci-tests'], to: `oci:${dir}`, progress: saved.progress });
      expect(b.ok).toBe(true);
      // The promotion's records travel as tags too: every copied tag reports, the image among them.
      expect(saved.events.has(`${regs.tests.host}/${fx.repo}:tested`)).toBe(true);
      for (const image of saved.events.keys()) saved.wholeCopy(image);

      const restored = recorder();
      const rr = await restore(`oci:${dir}`, regs.prod.host, { client: fx.client, repositories: [fx.repo], progress: restored.progress });
      expect(rr.ok).toBe(true);
      expect(restored.events.has(`${regs.prod.host}/${fx.repo}:tested`)).toBe(true);
      expect(restored.events.size).toBe(rr.refs.filter((x) => x.action === 'restored').length);
      for (const image of restored.events.keys()) restored.wholeCopy(image);
    } finally {
      await fx.client.close();
    }
  });

  it('replicate: each replica\'s copy of a tag reports under the replica\'s reference', async () => {
    const repl = await startReplicationRegistries();
    const fx = replicationFixture(repl);
    try {
      await pushImage(repl.prod.url, fx.repo, '1.0.0', buildImage({ layers: [5000, 1000] }));
      const r = recorder();
      const report = await replicate({ topology: fx.topology, client: fx.client, progress: r.progress });
      expect(report.ok).toBe(true);
      const expected = [fx.topology.registries['prod-eu']!.host, fx.topology.registries['prod-us']!.host].map((h) => `${h}/${fx.repo}:1.0.0`);
      expect([...r.events.keys()].sort()).toEqual(expected.sort());
      for (const image of expected) expect(r.wholeCopy(image).plan.blobs).toBe(3);
    } finally {
      await fx.client.close();
      await repl.stop();
    }
  });
});
