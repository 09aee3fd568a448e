import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { backup, readRefs, restore, verifyLayout } from '../../src/ops/backup/index.js';
import { mirror } from '../../src/ops/mirror/index.js';
import { setStatus, type PromotionContext } from '../../src/ops/promotion/index.js';
import { promote } from '../../src/ops/promotion/promote.js';
import { replicate } from '../../src/ops/replicate/index.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import { buildImage, buildIndex, pushImage, uniqueRepo, type BuiltImage, type BuiltIndex } from '../support/images.js';
import { startMirrorEnv, type MirrorEnv } from '../support/mirror-env.js';
import { promotionFixture, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { ART, cosignTagImage, cosignTagOf, fallbackEntries, hasManifest, pushCosignTag, pushReferrer, referrerOf } from '../support/referrer-artifacts.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { replicationFixture, startReplicationRegistries, type ReplicationRegistries } from '../support/replication-topology.js';

const skip = registrySkipReason();

interface Tree {
  index: BuiltIndex;
  amd: BuiltImage;
  arm: BuiltImage;
  indexSig: BuiltImage;
  amdSbom: BuiltImage;
  armSbom: BuiltImage;
  sbomSig: BuiltImage;
  cosignSig: BuiltImage;
}

/** An index with a signature, an SBOM per child, a signature of one SBOM and a cosign .sig tag, pushed as a 1.1 client does on 2.8. */
async function seedTree(url: string, repo: string, tag: string): Promise<Tree> {
  const amd = buildImage({ layers: [512], labels: { 'org.opencontainers.image.version': '1.0.0' } });
  const arm = buildImage({ layers: [512], platform: { os: 'linux', architecture: 'arm64' } });
  const index = buildIndex([amd, arm]);
  await pushImage(url, repo, tag, index);
  const t = {
    index, amd, arm,
    indexSig: referrerOf(index.descriptor, ART.cosignSig, ART.simpleSigning),
    amdSbom: referrerOf(amd.descriptor, ART.spdx),
    armSbom: referrerOf(arm.descriptor, ART.cyclonedx),
    sbomSig: referrerOf(amd.descriptor, ART.bundle),
    cosignSig: cosignTagImage(index.digest),
  };
  t.sbomSig = referrerOf(t.amdSbom.descriptor, ART.bundle);
  await pushReferrer(url, repo, index.digest, t.indexSig);
  await pushReferrer(url, repo, amd.digest, t.amdSbom);
  await pushReferrer(url, repo, arm.digest, t.armSbom);
  await pushReferrer(url, repo, t.amdSbom.digest, t.sbomSig);
  await pushCosignTag(url, repo, index.digest, 'sig', t.cosignSig);
  return t;
}

async function expectTree(url: string, repo: string, t: Tree, what: { index?: boolean } = {}): Promise<void> {
  const ids = async (subject: string) => (await fallbackEntries(url, repo, subject)).map((e) => e.digest);
  if (what.index !== false) {
    expect(await ids(t.index.digest)).toContain(t.indexSig.digest);
    const client = new RegistryClient();
    const held = await client.repository({ registry: new URL(url).host, repository: repo }).headManifest(cosignTagOf(t.index.digest, 'sig'));
    await client.close();
    expect(held?.digest).toBe(t.cosignSig.digest);
  }
  expect(await ids(t.amd.digest)).toContain(t.amdSbom.digest);
  expect(await ids(t.arm.digest)).toContain(t.armSbom.digest);
  expect(await ids(t.amdSbom.digest)).toContain(t.sbomSig.digest);
  for (const a of [t.amdSbom, t.armSbom, t.sbomSig]) expect(await hasManifest(url, repo, a.digest)).toBe(true);
}

describe.skipIf(skip)('referrers travel with promote, replicate, backup/restore and mirror (Distribution 2.8)', () => {
  let promo: PromotionRegistries;
  let repl: ReplicationRegistries;
  let env: MirrorEnv;
  let spare: TestRegistry;
  beforeAll(async () => {
    [promo, repl, env, spare] = await Promise.all([startPromotionRegistries(), startReplicationRegistries(), startMirrorEnv(), startTestRegistry('plain')]);
  });
  afterAll(async () => {
    await Promise.all([promo?.stop(), repl?.stop(), env?.stop(), spare?.stop()]);
  });

  it('promote carries the referrers of an index and of its children, a signature of an SBOM and the cosign tag; --no-referrers does not', async () => {
    const fx = promotionFixture(promo);
    const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
    const t = await seedTree(promo.snapshots.url, fx.repo, 'latest');
    await setStatus(`${promo.snapshots.host}/${fx.repo}:latest`, 'tests', 'passed', { client: fx.client, topology: fx.topology, by: 'ci' });
    const report = await promote(ctx, { stage: 'tested' });
    expect(report.ok).toBe(true);
    expect(report.results[0]!.referrers).toMatchObject({ copied: 5, present: 0, conflicts: [], warnings: [] });
    await expectTree(promo.tests.url, fx.repo, t);

    const fx2 = promotionFixture(promo);
    const t2 = await seedTree(promo.snapshots.url, fx2.repo, 'latest');
    await setStatus(`${promo.snapshots.host}/${fx2.repo}:latest`, 'tests', 'passed', { client: fx2.client, topology: fx2.topology, by: 'ci' });
    const none = await promote({ topology: fx2.topology, client: fx2.client, by: 'ci-bot' }, { stage: 'tested', referrers: false });
    expect(none.ok).toBe(true);
    expect(none.results[0]!.referrers).toBeUndefined();
    expect(await hasManifest(promo.tests.url, fx2.repo, t2.amdSbom.digest)).toBe(false);
    await Promise.all([fx.client.close(), fx2.client.close()]);
  });

  it('replicate carries them into every replica', async () => {
    const fx = replicationFixture(repl);
    const t = await seedTree(repl.prod.url, fx.repo, '1.0.0');
    const report = await replicate({ topology: fx.topology, client: fx.client, all: true });
    expect(report.ok).toBe(true);
    await expectTree(repl.eu.url, fx.repo, t);
    await expectTree(repl.us.url, fx.repo, t);
    await fx.client.close();
  });

  /** A topology whose prod is the spare registry, its client, and a fresh layout path to back up into. */
  function backupOfSpare() {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-ref-backup-'));
    const text = `version: 1\nregistries:\n  prod: {role: prod, url: ${spare.url}}\n`;
    const topoFile = join(dir, 'registries.yaml');
    writeFileSync(topoFile, text);
    const topology = requireValidTopology(parseTopology(text, topoFile));
    const client = clientForTopology(topology, { credentials: staticCredentials({}) });
    return { topology, client, layout: join(dir, 'layout') };
  }

  it('backup keeps them in the layout (by digest, fallback and cosign refs), an unchanged second backup walks nothing, restore over the source finds them present', async () => {
    const repo = uniqueRepo('bk');
    const t = await seedTree(spare.url, repo, '1.0');
    const { topology, client, layout } = backupOfSpare();
    const report = await backup({ topology, client, registries: ['prod'], to: `oci:${layout}`, verify: true });
    expect(report.ok).toBe(true);
    const mine = report.registries[0]!;
    // On 2.8 the fallback and cosign tags are tags: the tag loop brought them, the walk finds them all present.
    expect(mine.referrers).toMatchObject({ copied: 0, present: 5, warnings: [] });
    const refs = [...(await readRefs(layout)).keys()].filter((n) => n.startsWith(`${repo}:`)).sort();
    expect(refs).toContain(`${repo}:${cosignTagOf(t.index.digest, 'sig')}`);
    expect(refs).toContain(`${repo}:${t.amdSbom.digest.replace(':', '-')}`);
    expect((await verifyLayout(layout)).ok).toBe(true);
    const again = await backup({ topology, client, registries: ['prod'], to: `oci:${layout}` });
    // Nothing added or moved: no walk at all, one HEAD per tag.
    expect(again.registries[0]!.referrers).toMatchObject({ copied: 0, present: 0 });
    expect(again.summary.added + again.summary.moved).toBe(0);

    const restored = await restore(layout, spare.host, { client, repositories: [repo] });
    expect(restored.ok).toBe(true);
    expect(restored.referrers).toMatchObject({ copied: 0, present: 5 });
    await client.close();
  });

  it('restore into another registry recreates the referrer tree, merged with the fallback entries the target had', async () => {
    const repo = uniqueRepo('bk2');
    const t = await seedTree(spare.url, repo, '1.0');
    const { topology, client, layout } = backupOfSpare();
    await backup({ topology, client, registries: ['prod'], to: `oci:${layout}` });
    const empty = await startTestRegistry('plain');
    try {
      // The target already lists an attestation for the amd64 image: it stays.
      const theirs = referrerOf(t.amd.descriptor, ART.dsse);
      await pushImage(empty.url, repo, 'old', t.amd);
      await pushReferrer(empty.url, repo, t.amd.digest, theirs);
      const restored = await restore(layout, empty.host, { client, repositories: [repo] });
      expect(restored.ok).toBe(true);
      expect(restored.referrers).toMatchObject({ copied: 5, present: 0, warnings: [] });
      await expectTree(empty.url, repo, t);
      expect((await fallbackEntries(empty.url, repo, t.amd.digest)).map((e) => e.digest)).toEqual([theirs.digest, t.amdSbom.digest]);
    } finally {
      await client.close();
      await empty.stop();
    }
  });

  it('mirror carries them with each copied tag; a platform subset carries the kept children\'s only', async () => {
    const repo = uniqueRepo('mirror');
    const t = await seedTree(env.upstream.url, repo, '1.0');
    const report = await mirror(env.topology([{ name: 'r', repository: repo, tags: ['1.0'] }]));
    expect(report.outcome).toBe('ok');
    expect(report.tags[0]!.referrers).toMatchObject({ copied: 5 });
    await expectTree(env.archive.url, repo, t);

    const sub = uniqueRepo('mirror');
    const t2 = await seedTree(env.upstream.url, sub, '1.0');
    const subset = await mirror(env.topology([{ name: 's', repository: sub, tags: ['1.0'], platforms: ['linux/amd64'] }]));
    expect(subset.outcome).toBe('ok');
    expect(subset.tags[0]!.referrers).toMatchObject({ copied: 2 });
    expect(await hasManifest(env.archive.url, sub, t2.amdSbom.digest)).toBe(true);
    expect(await hasManifest(env.archive.url, sub, t2.sbomSig.digest)).toBe(true);
    expect(await hasManifest(env.archive.url, sub, t2.armSbom.digest)).toBe(false);
    expect(await hasManifest(env.archive.url, sub, t2.indexSig.digest)).toBe(false);
  });
});
