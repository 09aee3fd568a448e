import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { buildImage, buildIndex, pushImage, uniqueRepo } from '../support/images.js';
import {
  ART, cosignTagImage, cosignTagOf, fallbackEntries, fallbackTagOf, hasManifest, listedDescriptor, pushCosignTag, pushReferrer, putFallbackIndex, referrerOf,
} from '../support/referrer-artifacts.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoInspectRaw } from '../support/skopeo.js';

const skip = registrySkipReason();

describe.skipIf(skip)('copy --referrers against Distribution 2.8 (fallback tags, cosign tags)', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  const client = new RegistryClient();
  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
  });
  afterAll(async () => {
    await client.close();
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  /** An index of two platforms with a signature on the index, an SBOM per child and a signature of one SBOM. */
  async function seedTree(repo: string) {
    const amd = buildImage({ layers: [512] });
    const arm = buildImage({ layers: [512], platform: { os: 'linux', architecture: 'arm64' } });
    const index = buildIndex([amd, arm]);
    await pushImage(src.url, repo, '1.0', index);
    const indexSig = referrerOf(index.descriptor, ART.cosignSig, ART.simpleSigning);
    const amdSbom = referrerOf(amd.descriptor, ART.spdx);
    const armSbom = referrerOf(arm.descriptor, ART.cyclonedx);
    const sbomSig = referrerOf(amdSbom.descriptor, ART.bundle);
    await pushReferrer(src.url, repo, index.digest, indexSig);
    await pushReferrer(src.url, repo, amd.digest, amdSbom);
    await pushReferrer(src.url, repo, arm.digest, armSbom);
    await pushReferrer(src.url, repo, amdSbom.digest, sbomSig);
    return { index, amd, arm, indexSig, amdSbom, armSbom, sbomSig };
  }

  it('carries the referrers of an index and of each child, and a signature of an SBOM (depth 2), digest-exact', async () => {
    const repo = uniqueRepo('ref');
    const t = await seedTree(repo);
    const r = await copy(`${src.host}/${repo}:1.0`, `${dst.host}/${repo}:1.0`, { client, referrers: true });
    expect(r.referrers).toMatchObject({ copied: 4, present: 0, conflicts: [], warnings: [] });
    for (const a of [t.indexSig, t.amdSbom, t.armSbom, t.sbomSig]) expect(await hasManifest(dst.url, repo, a.digest)).toBe(true);
    expect((await fallbackEntries(dst.url, repo, t.index.digest)).map((e) => e.digest)).toEqual([t.indexSig.digest]);
    expect((await fallbackEntries(dst.url, repo, t.amd.digest)).map((e) => e.digest)).toEqual([t.amdSbom.digest]);
    expect((await fallbackEntries(dst.url, repo, t.arm.digest)).map((e) => e.digest)).toEqual([t.armSbom.digest]);
    expect((await fallbackEntries(dst.url, repo, t.amdSbom.digest)).map((e) => e.digest)).toEqual([t.sbomSig.digest]);
    // The listed descriptor keeps its artifactType, so a 1.1 client filtering by type finds it.
    expect((await fallbackEntries(dst.url, repo, t.amdSbom.digest))[0]!.artifactType).toBe(ART.bundle);
    // skopeo reads the copied referrer by digest with the same bytes.
    const viaSkopeo = await skopeoInspectRaw(`docker://${dst.host}/${repo}@${t.sbomSig.digest}`, { tlsVerify: false });
    expect(viaSkopeo.equals(t.sbomSig.manifest)).toBe(true);

    const again = await copy(`${src.host}/${repo}:1.0`, `${dst.host}/${repo}:1.0`, { client, referrers: true });
    expect(again.upToDate).toBe(true);
    expect(again.referrers).toMatchObject({ copied: 0, present: 4, fallbackTags: 0 });
  });

  it('without referrers (the default) copies the image alone', async () => {
    const repo = uniqueRepo('ref');
    const t = await seedTree(repo);
    const r = await copy(`${src.host}/${repo}:1.0`, `${dst.host}/${repo}:1.0`, { client });
    expect(r.referrers).toBeUndefined();
    expect(await hasManifest(dst.url, repo, t.indexSig.digest)).toBe(false);
    expect(await fallbackEntries(dst.url, repo, t.index.digest)).toEqual([]);
  });

  it('carries cosign .sig, .att and .sbom tags under the same names, and a signature of the .sbom image', async () => {
    const repo = uniqueRepo('cosign');
    const image = buildImage({ layers: [256] });
    await pushImage(src.url, repo, 'v1', image);
    const sig = cosignTagImage(image.digest);
    const att = cosignTagImage(image.digest, ART.dsse);
    const sbom = cosignTagImage(image.digest, ART.spdx);
    const sbomSig = cosignTagImage(sbom.digest);
    await pushCosignTag(src.url, repo, image.digest, 'sig', sig);
    await pushCosignTag(src.url, repo, image.digest, 'att', att);
    await pushCosignTag(src.url, repo, image.digest, 'sbom', sbom);
    await pushCosignTag(src.url, repo, sbom.digest, 'sig', sbomSig);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.referrers).toMatchObject({ copied: 4, conflicts: [] });
    const tags = await client.repository({ registry: dst.host, repository: repo }).listTags();
    expect(tags.sort()).toEqual(['v1', cosignTagOf(image.digest, 'att'), cosignTagOf(image.digest, 'sbom'), cosignTagOf(image.digest, 'sig'), cosignTagOf(sbom.digest, 'sig')].sort());
    const dstRepo = client.repository({ registry: dst.host, repository: repo });
    expect((await dstRepo.headManifest(cosignTagOf(image.digest, 'sig')))?.digest).toBe(sig.digest);
    expect((await dstRepo.headManifest(cosignTagOf(sbom.digest, 'sig')))?.digest).toBe(sbomSig.digest);
  });

  it('leaves a cosign tag the target holds with other content as it is, and reports the conflict', async () => {
    const repo = uniqueRepo('cosign');
    const image = buildImage({ layers: [256] });
    await pushImage(src.url, repo, 'v1', image);
    await pushImage(dst.url, repo, 'v1', image);
    const theirs = cosignTagImage(image.digest);
    const ours = cosignTagImage(image.digest);
    await pushCosignTag(src.url, repo, image.digest, 'sig', ours);
    await pushCosignTag(dst.url, repo, image.digest, 'sig', theirs);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.referrers!.conflicts).toEqual([cosignTagOf(image.digest, 'sig')]);
    expect(r.referrers!.warnings.join('\n')).toContain('cosign defines no merge');
    const held = await client.repository({ registry: dst.host, repository: repo }).headManifest(cosignTagOf(image.digest, 'sig'));
    expect(held?.digest).toBe(theirs.digest);
  });

  it('merges into the target fallback tag: the entries the target had stay, ours are added', async () => {
    const repo = uniqueRepo('merge');
    const image = buildImage({ layers: [256] });
    await pushImage(src.url, repo, 'v1', image);
    await pushImage(dst.url, repo, 'v1', image);
    const ours = referrerOf(image.descriptor, ART.spdx);
    const theirs = referrerOf(image.descriptor, ART.dsse);
    await pushReferrer(src.url, repo, image.digest, ours);
    await pushReferrer(dst.url, repo, image.digest, theirs);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.upToDate).toBe(true);
    expect(r.referrers).toMatchObject({ copied: 1, fallbackTags: 1 });
    expect((await fallbackEntries(dst.url, repo, image.digest)).map((e) => e.digest)).toEqual([theirs.digest, ours.digest]);
  });

  it('skips a listed referrer whose subject is another digest, with a warning, and never lists it in the target', async () => {
    const repo = uniqueRepo('hostile');
    const image = buildImage({ layers: [256] });
    const other = buildImage({ layers: [256] });
    await pushImage(src.url, repo, 'v1', image);
    await pushImage(src.url, repo, 'other', other);
    const good = referrerOf(image.descriptor, ART.spdx);
    const foreign = referrerOf(other.descriptor, ART.cosignSig);
    await pushImage(src.url, repo, undefined, good);
    await pushImage(src.url, repo, undefined, foreign);
    // Distribution 2.8 refuses an index naming a manifest it lacks, so the hostile list here is one
    // of real manifests, one of which refers to another image.
    await putFallbackIndex(src.url, repo, image.digest, [listedDescriptor(good), listedDescriptor(foreign)]);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.referrers!.copied).toBe(1);
    expect(r.referrers!.warnings.some((w) => w.includes('its subject is') && w.includes(foreign.digest))).toBe(true);
    expect(await hasManifest(dst.url, repo, foreign.digest)).toBe(false);
    expect((await fallbackEntries(dst.url, repo, image.digest)).map((e) => e.digest)).toEqual([good.digest]);
  });

  it('bounds the walk: referrers deeper than maxDepth are left out with a warning', async () => {
    const repo = uniqueRepo('deep');
    const image = buildImage({ layers: [128] });
    await pushImage(src.url, repo, 'v1', image);
    let subject = image.descriptor;
    const chain = [];
    for (let i = 0; i < 6; i++) {
      const r = referrerOf(subject, ART.cosignSig);
      await pushReferrer(src.url, repo, subject.digest, r);
      chain.push(r);
      subject = r.descriptor;
    }
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.referrers!.copied).toBe(4);
    expect(r.referrers!.warnings.some((w) => w.includes('deeper than 4 levels'))).toBe(true);
    expect(await hasManifest(dst.url, repo, chain[3]!.digest)).toBe(true);
    expect(await hasManifest(dst.url, repo, chain[4]!.digest)).toBe(false);
  });

  it('carries regtopo\'s own records (tagged referrers) with the image, and inspect names them', async () => {
    const repo = uniqueRepo('rec');
    const image = buildImage({ layers: [128] });
    await pushImage(src.url, repo, 'v1', image);
    const { setStatus } = await import('../../src/ops/promotion/statuses.js');
    const { inspect } = await import('../../src/ops/inspect.js');
    const written = await setStatus(`${src.host}/${repo}:v1`, 'scan', 'clean', { client, by: 'scanner' });
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.referrers!.copied).toBe(1);
    const tags = await client.repository({ registry: dst.host, repository: repo }).listTags();
    expect(tags.filter((t) => t.startsWith('rts-'))).toHaveLength(1);
    const seen = await inspect(`${dst.host}/${repo}:v1`, { client, referrerTree: true });
    expect(seen.referrerTree).toEqual([expect.objectContaining({ kind: 'regtopo-record', via: 'record-tag', subject: image.digest })]);
    expect(seen.referrerTree![0]!.tag).toMatch(/^rts-/);
    expect(written.digest).toBe(image.digest);
  });

  it('carries referrers into an OCI layout and back out of it', async () => {
    const repo = uniqueRepo('layout');
    const t = await seedTree(repo);
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = join(mkdtempSync(join(tmpdir(), 'regtopo-ref-')), 'layout');
    const out = await copy(`${src.host}/${repo}:1.0`, `oci:${dir}:1.0`, { client, referrers: true });
    expect(out.referrers!.copied).toBe(4);
    const back = uniqueRepo('back');
    const r = await copy(`oci:${dir}:1.0`, `${dst.host}/${back}:1.0`, { client, referrers: true });
    expect(r.referrers!.copied).toBe(4);
    expect((await fallbackEntries(dst.url, back, t.amdSbom.digest)).map((e) => e.digest)).toEqual([t.sbomSig.digest]);
    expect(fallbackTagOf(t.index.digest)).toMatch(/^sha256-/);
  });
});
