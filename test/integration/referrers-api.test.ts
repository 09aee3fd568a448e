/**
 * The referrers API path: Distribution 2.8 has none, so a fault proxy in front of it answers
 * `GET /v2/<repo>/referrers/<digest>` with the OCI index shape a 1.1 registry serves, and forwards
 * everything else. Referrers are pushed by digest only (no fallback tag), as on a 1.1 registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, buildIndex, MT, pushImage, uniqueRepo, type Descriptor } from '../support/images.js';
import { ART, fallbackEntries, hasManifest, listedDescriptor, referrerOf } from '../support/referrer-artifacts.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

describe.skipIf(skip)('referrers API answers (a 1.1 source) into a 2.8 target', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;
  const client = new RegistryClient();
  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    proxy = await startFaultProxy(src.url);
  });
  afterAll(async () => {
    await client.close();
    await proxy?.stop();
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  const serveReferrers = (repo: string, subject: string, manifests: unknown[]) => proxy.addRule({
    method: 'GET', path: new RegExp(`^/v2/${repo}/referrers/${subject}$`),
    fault: { kind: 'serve', status: 200, headers: { 'content-type': MT.ociIndex }, body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests })) },
  });

  it('reads the API answer for the index and its children, skips invalid entries with a warning, and writes the target fallback tags', async () => {
    const repo = uniqueRepo('api');
    const amd = buildImage({ layers: [256] });
    const index = buildIndex([amd]);
    await pushImage(src.url, repo, '1.0', index);
    const sig = referrerOf(index.descriptor, ART.cosignSig);
    const sbom = referrerOf(amd.descriptor, ART.spdx);
    const sbomSig = referrerOf(sbom.descriptor, ART.bundle);
    for (const r of [sig, sbom, sbomSig]) await pushImage(src.url, repo, undefined, r);
    serveReferrers(repo, index.digest, [listedDescriptor(sig), { mediaType: MT.ociManifest, digest: 'sha256:../../../v2/_catalog', size: 1 }]);
    serveReferrers(repo, amd.digest, [listedDescriptor(sbom)]);
    serveReferrers(repo, sbom.digest, [listedDescriptor(sbomSig)]);
    serveReferrers(repo, sbomSig.digest, []);
    serveReferrers(repo, sig.digest, []);

    const r = await copy(`${proxy.host}/${repo}:1.0`, `${dst.host}/${repo}:1.0`, { client, referrers: true });
    expect(r.referrers!.copied).toBe(3);
    expect(r.referrers!.warnings).toEqual([expect.stringContaining('1 invalid entry')]);
    expect((await fallbackEntries(dst.url, repo, index.digest)).map((e) => e.digest)).toEqual([sig.digest]);
    expect((await fallbackEntries(dst.url, repo, amd.digest)).map((e) => e.digest)).toEqual([sbom.digest]);
    expect((await fallbackEntries(dst.url, repo, sbom.digest)).map((e) => e.digest)).toEqual([sbomSig.digest]);
    // The API answered, so the source's fallback tags were never asked for.
    expect(proxy.requests.filter((q) => q.path.includes('/manifests/sha256-'))).toEqual([]);
  });

  it('skips an oversized list whole, with a warning, and copies nothing from it', async () => {
    const repo = uniqueRepo('api');
    const image = buildImage({ layers: [128] });
    await pushImage(src.url, repo, 'v1', image);
    const real = referrerOf(image.descriptor, ART.spdx);
    await pushImage(src.url, repo, undefined, real);
    const filler: Descriptor[] = Array.from({ length: 1000 }, (_, i) => ({ mediaType: MT.ociManifest, digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 10 }));
    serveReferrers(repo, image.digest, [listedDescriptor(real), ...filler]);
    const r = await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client, referrers: true });
    expect(r.referrers!.copied).toBe(0);
    expect(r.referrers!.warnings).toEqual([expect.stringMatching(/has 1001 entries \(over 1000\); skipped/)]);
    expect(await hasManifest(dst.url, repo, real.digest)).toBe(false);
  });
});
