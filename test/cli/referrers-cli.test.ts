/** `copy --referrers` / `--no-referrers`, `inspect --referrers` (text and JSON) and `tags` hiding, through the built CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, buildIndex, pushImage, uniqueRepo } from '../support/images.js';
import { ART, cosignTagImage, cosignTagOf, fallbackEntries, hasManifest, pushCosignTag, pushReferrer, referrerOf } from '../support/referrer-artifacts.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('referrers on the command line', () => {
  let a: TestRegistry;
  let b: TestRegistry;
  let repo: string;
  const t = (() => {
    const amd = buildImage({ layers: [256] });
    const arm = buildImage({ layers: [256], platform: { os: 'linux', architecture: 'arm64' } });
    const index = buildIndex([amd, arm]);
    const indexSig = referrerOf(index.descriptor, ART.cosignSig, ART.simpleSigning);
    const amdSbom = referrerOf(amd.descriptor, ART.spdx);
    const bundle = referrerOf(amdSbom.descriptor, ART.bundle);
    const att = referrerOf(arm.descriptor, ART.dsse);
    const cosignSig = cosignTagImage(index.digest);
    return { amd, arm, index, indexSig, amdSbom, bundle, att, cosignSig };
  })();

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    repo = uniqueRepo('cli');
    await pushImage(a.url, repo, '1.0', t.index);
    await pushReferrer(a.url, repo, t.index.digest, t.indexSig);
    await pushReferrer(a.url, repo, t.amd.digest, t.amdSbom);
    await pushReferrer(a.url, repo, t.amdSbom.digest, t.bundle);
    await pushReferrer(a.url, repo, t.arm.digest, t.att);
    await pushCosignTag(a.url, repo, t.index.digest, 'sig', t.cosignSig);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('copy copies the image alone by default and with --no-referrers; --referrers carries the tree and says so', async () => {
    const plain = await runCli(['copy', `${a.host}/${repo}:1.0`, `${b.host}/plain/app:1.0`, '--no-referrers', '-o', 'json']);
    expect(plain.code).toBe(0);
    expect(plain.json().referrers).toBeUndefined();
    expect(await hasManifest(b.url, 'plain/app', t.amdSbom.digest)).toBe(false);
    const dflt = await runCli(['copy', `${a.host}/${repo}:1.0`, `${b.host}/default/app:1.0`, '-o', 'json']);
    expect(dflt.json().referrers).toBeUndefined();

    const text = await runCli(['copy', `${a.host}/${repo}:1.0`, `${b.host}/${repo}:1.0`, '--referrers']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('referrers: 5 copied, 0 already there');
    expect((await fallbackEntries(b.url, repo, t.amdSbom.digest)).map((e) => e.digest)).toEqual([t.bundle.digest]);
    const json = await runCli(['copy', `${a.host}/${repo}:1.0`, `${b.host}/${repo}:1.0`, '--referrers', '-o', 'json']);
    expect(json.json().referrers).toMatchObject({ copied: 0, present: 5, conflicts: [], warnings: [] });
  });

  it('inspect --referrers shows the tree with kinds, in text and JSON; plain inspect stays cheap with direct referrers only', async () => {
    const text = await runCli(['inspect', `${a.host}/${repo}:1.0`, '--referrers']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines).toContain(`  signature ${t.indexSig.digest} ${ART.cosignSig}`);
    expect(lines).toContain(`  signature ${t.cosignSig.digest} tag ${cosignTagOf(t.index.digest, 'sig')} ${'application/vnd.oci.image.config.v1+json'}`);
    expect(lines).toContain(`  SBOM ${t.amdSbom.digest} ${ART.spdx} (of linux/amd64)`);
    expect(lines).toContain(`    signature (sigstore bundle) ${t.bundle.digest} ${ART.bundle}`);
    expect(lines).toContain(`  attestation ${t.att.digest} ${ART.dsse} (of linux/arm64)`);

    const json = (await runCli(['inspect', `${a.host}/${repo}:1.0`, '--referrers', '-o', 'json'])).json();
    const sbom = json.referrerTree.find((e: { digest: string }) => e.digest === t.amdSbom.digest);
    expect(sbom).toMatchObject({ kind: 'sbom', subject: t.amd.digest, via: 'fallback-tag' });
    expect(sbom.referrers).toEqual([expect.objectContaining({ digest: t.bundle.digest, kind: 'sigstore-bundle', subject: t.amdSbom.digest })]);
    expect(json.referrerTree.find((e: { digest: string }) => e.digest === t.cosignSig.digest)).toMatchObject({ kind: 'signature', via: 'cosign-tag', tag: cosignTagOf(t.index.digest, 'sig') });

    const cheap = (await runCli(['inspect', `${a.host}/${repo}:1.0`, '-o', 'json'])).json();
    expect(cheap.referrerTree).toBeUndefined();
    expect(cheap.referrers).toEqual([expect.objectContaining({ digest: t.indexSig.digest, kind: 'signature' })]);
  });

  it('tags hides the fallback and cosign tags the referrers brought, unless --all', async () => {
    const shown = (await runCli(['tags', `${b.host}/${repo}`, '-o', 'json'])).json();
    const all = (await runCli(['tags', `${b.host}/${repo}`, '--all', '-o', 'json'])).json();
    const names = (x: unknown) => JSON.stringify(x);
    expect(names(shown)).toContain('"1.0"');
    expect(names(shown)).not.toContain('sha256-');
    expect(names(all)).toContain(cosignTagOf(t.index.digest, 'sig'));
    expect(names(all)).toContain(t.amdSbom.digest.replace(':', '-'));
  });
});
