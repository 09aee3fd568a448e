import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { copy } from '../../src/ops/copy.js';
import { inspect } from '../../src/ops/inspect.js';
import { tag } from '../../src/ops/tag.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  allBlobs, buildArtifact, buildImage, buildIndex, buildZeroLayerImage, pushImage, rawGetBlob, rawGetManifest, sha256, uniqueRepo, type Built,
} from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoCopy, skopeoInspectRaw } from '../support/skopeo.js';

const skip = registrySkipReason();
if (skip) console.warn(`skipping copy integration tests: ${skip}`);

function fixtures(): Array<[string, Built]> {
  const ociA = buildImage({ layers: [3000, 70_000], platform: { os: 'linux', architecture: 'amd64' } });
  const ociB = buildImage({ layers: [5000], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const dockerA = buildImage({ layers: [2048, 4096], mediaTypeFlavour: 'docker', platform: { os: 'linux', architecture: 'amd64' } });
  const dockerB = buildImage({ layers: [1024], mediaTypeFlavour: 'docker', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
  const subjectImage = buildImage({ layers: [1000] });
  return [
    ['OCI image manifest', buildImage({ layers: [1, 4096, 1 << 20] })],
    ['Docker schema2 manifest', buildImage({ layers: [4096, 8192], mediaTypeFlavour: 'docker' })],
    ['OCI index (multi-arch)', buildIndex([ociA, ociB], 'oci')],
    ['Docker manifest list', buildIndex([dockerA, dockerB], 'docker')],
    ['OCI artifact with subject', buildArtifact({ subject: subjectImage.descriptor, artifactType: 'application/vnd.example.sbom+json' })],
    ['zero-layer image', buildZeroLayerImage('oci')],
  ];
}

describe.skipIf(skip)('copy: digest-exact across media types, cross-checked with skopeo', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    client = new RegistryClient({ credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  it.each(fixtures())('%s keeps its bytes and digest', async (_name, built) => {
    const repo = uniqueRepo('media');
    await pushImage(src.url, repo, 'v1', built);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/copied/${repo}:v1`, { client });
    expect(r.digest).toBe(built.digest);
    expect(r.sourceDigest).toBe(built.digest);
    expect(r.upToDate).toBe(false);
    expect(r.blobs.copied).toBe(allBlobs(built).length);

    const served = await rawGetManifest(dst.url, `copied/${repo}`, 'v1');
    expect(served.bytes.equals(built.manifest)).toBe(true);
    expect(served.digest).toBe(built.digest);
    expect(served.mediaType).toBe(built.mediaType);
    // An independent client reads back exactly what was pushed.
    const viaSkopeo = await skopeoInspectRaw(`${dst.host}/copied/${repo}:v1`);
    expect(viaSkopeo.equals(built.manifest)).toBe(true);
    for (const blob of allBlobs(built)) {
      expect(sha256(await rawGetBlob(dst.url, `copied/${repo}`, blob.digest))).toBe(blob.digest);
    }
  });

  it('copies what skopeo wrote with identical digests', async () => {
    const repo = uniqueRepo('skopeo');
    const built = buildIndex([buildImage({ layers: [4000], platform: { os: 'linux', architecture: 'amd64' } }), buildImage({ layers: [6000], platform: { os: 'linux', architecture: 's390x' } })], 'oci');
    await pushImage(src.url, repo, 'seed', built);
    await skopeoCopy(`${src.host}/${repo}:seed`, `${src.host}/${repo}:by-skopeo`);
    const skopeoBytes = await skopeoInspectRaw(`${src.host}/${repo}:by-skopeo`);
    const r = await copy(`${src.host}/${repo}:by-skopeo`, `${dst.host}/from-skopeo/${repo}:v1`, { client });
    expect(r.digest).toBe(sha256(skopeoBytes));
    expect((await rawGetManifest(dst.url, `from-skopeo/${repo}`, 'v1')).bytes.equals(skopeoBytes)).toBe(true);
  });

  it('copies an index whose children share blobs once per blob', async () => {
    const repo = uniqueRepo('dedupe');
    const a = buildImage({ layers: [10_000], seed: 'shared', platform: { os: 'linux', architecture: 'amd64' } });
    const b = { ...a, platform: { os: 'linux', architecture: 'arm64' } };
    const idx = buildIndex([a, b], 'oci');
    await pushImage(src.url, repo, 'v1', idx);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/dedupe/${repo}:v1`, { client });
    expect(r.blobs.copied).toBe(2); // config + layer, though two descriptors reference each
    expect(r.digest).toBe(idx.digest);
  });

  it('pushes by digest when the source is pinned and the target names no tag', async () => {
    const repo = uniqueRepo('pinned');
    const built = buildImage({ layers: [100] });
    await pushImage(src.url, repo, 'v1', built);
    const r = await copy(`${src.host}/${repo}@${built.digest}`, `${dst.host}/pinned/${repo}`, { client });
    expect(r.digest).toBe(built.digest);
    expect((await rawGetManifest(dst.url, `pinned/${repo}`, built.digest)).status).toBe(200);
    expect((await rawGetManifest(dst.url, `pinned/${repo}`, 'latest')).status).toBe(404);
  });

  describe('request accounting through a proxy', () => {
    let srcProxy: FaultProxy;
    let dstProxy: FaultProxy;
    beforeAll(async () => {
      [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    });
    afterAll(async () => {
      await Promise.all([srcProxy?.stop(), dstProxy?.stop()]);
    });

    it('a second copy costs one HEAD per side and nothing else', async () => {
      const repo = uniqueRepo('noop');
      await pushImage(src.url, repo, 'v1', buildIndex([buildImage({ layers: [2000], platform: { os: 'linux', architecture: 'amd64' } })], 'oci'));
      await copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/noop/${repo}:v1`, { client });
      srcProxy.reset();
      dstProxy.reset();
      const again = await copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/noop/${repo}:v1`, { client });
      expect(again.upToDate).toBe(true);
      const summary = (p: FaultProxy) => p.requests.map((r) => `${r.method} ${r.path.replace(/\/v2\/.*\/manifests\//, 'manifest ')}`);
      expect(summary(srcProxy)).toEqual(['HEAD manifest v1']);
      expect(summary(dstProxy)).toEqual(['HEAD manifest v1']);
    });

    it('follows relative upload Locations and keeps their query (upload state)', async () => {
      const repo = uniqueRepo('relative');
      const built = buildImage({ layers: [4000, 9000] });
      await pushImage(src.url, repo, 'v1', built);
      dstProxy.reset();
      dstProxy.relativeLocations = true;
      const r = await copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/rel/${repo}:v1`, { client });
      expect(r.blobs.copied).toBe(3);
      const puts = dstProxy.requests.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/'));
      expect(puts).toHaveLength(3);
      for (const q of puts) expect(q.query).toMatch(/^_state=[^&]+&digest=sha256%3A[a-f0-9]{64}$/);
      expect((await rawGetManifest(dst.url, `rel/${repo}`, 'v1')).bytes.equals(built.manifest)).toBe(true);
    });

    it('retag moves no blobs', async () => {
      const repo = uniqueRepo('retag');
      const built = buildImage({ layers: [50_000, 60_000] });
      await pushImage(dst.url, repo, 'v1', built);
      dstProxy.reset();
      const r = await tag(`${dstProxy.host}/${repo}:v1`, ['tested', 'v1.0.0'], { client });
      expect(r.tags.map((t) => t.action)).toEqual(['created', 'created']);
      expect(dstProxy.requests.filter((q) => q.path.includes('/blobs/'))).toEqual([]);
      expect(dstProxy.count('PUT', /\/manifests\//)).toBe(2);
      for (const t of ['tested', 'v1.0.0']) expect((await rawGetManifest(dst.url, repo, t)).bytes.equals(built.manifest)).toBe(true);
    });

    it('a copy into a repository the target does not know makes no blob existence HEADs', async () => {
      const repo = uniqueRepo('fresh');
      const built = buildIndex([
        buildImage({ layers: [3000, 5000], platform: { os: 'linux', architecture: 'amd64' } }),
        buildImage({ layers: [4000], platform: { os: 'linux', architecture: 'arm64' } }),
      ], 'oci');
      await pushImage(src.url, repo, 'v1', built);
      dstProxy.reset();
      const r = await copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/fresh/${repo}:v1`, { client });
      expect(r.digest).toBe(built.digest);
      expect(r.blobs.copied).toBe(allBlobs(built).length);
      // The tag (the no-op check) and the root's digest (an alias tag may hold it) are HEADed, the
      // repository probed once, and no blob and no child manifest: the probe says the repository is new.
      expect(dstProxy.count('HEAD', /\/blobs\//)).toBe(0);
      expect(dstProxy.count('HEAD', /\/manifests\//)).toBe(2);
      expect(dstProxy.count('GET', /\/tags\/list$/)).toBe(1);
      expect(dstProxy.count('PUT', /\/blobs\/uploads\//)).toBe(allBlobs(built).length);
      expect(dstProxy.count('PUT', /\/manifests\//)).toBe(3);
      expect((await rawGetManifest(dst.url, `fresh/${repo}`, 'v1')).bytes.equals(built.manifest)).toBe(true);
      expect((await skopeoInspectRaw(`docker://${dst.host}/fresh/${repo}:v1`)).equals(built.manifest)).toBe(true);
    });

    it('a copy into an existing repository still finds the blobs it shares', async () => {
      const repo = uniqueRepo('shared');
      const base = buildImage({ layers: [6000, 7000], seed: `${repo}-base`, labels: { build: '1' } });
      const next = buildImage({ layers: [6000, 7000], seed: `${repo}-base`, labels: { build: '2' } });
      expect(next.layers.map((l) => l.digest)).toEqual(base.layers.map((l) => l.digest));
      await pushImage(src.url, repo, 'v1', base);
      await pushImage(src.url, repo, 'v2', next);
      await copy(`${src.host}/${repo}:v1`, `${dst.host}/shared/${repo}:v1`, { client });
      dstProxy.reset();
      const r = await copy(`${src.host}/${repo}:v2`, `${dstProxy.host}/shared/${repo}:v2`, { client });
      expect(r.blobs).toEqual({ copied: 1, mounted: 0, existing: 2 });
      expect(dstProxy.count('PUT', /\/blobs\/uploads\//)).toBe(1);
      expect((await rawGetManifest(dst.url, `shared/${repo}`, 'v2')).bytes.equals(next.manifest)).toBe(true);
    });

    it('a copy to a registry that already has the blobs only HEADs them', async () => {
      const repo = uniqueRepo('warm');
      const built = buildImage({ layers: [30_000, 40_000] });
      await pushImage(src.url, repo, 'v1', built);
      await copy(`${src.host}/${repo}:v1`, `${dst.host}/warm/${repo}:latest`, { client });
      dstProxy.reset();
      const r = await copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/warm/${repo}:tested`, { client });
      expect(r.blobs).toEqual({ copied: 0, mounted: 0, existing: 0 });
      expect(dstProxy.count('PUT', /\/blobs\//) + dstProxy.count('POST', /\/blobs\//)).toBe(0);
      expect(dstProxy.count('PUT', /\/manifests\/tested$/)).toBe(1);
    });
  });

  it('mounts blobs within one registry instead of copying them', async () => {
    const repo = uniqueRepo('mount');
    const built = buildImage({ layers: [20_000, 30_000] });
    await pushImage(src.url, repo, 'v1', built);
    const r = await copy(`${src.host}/${repo}:v1`, `${src.host}/${repo}-promoted:v1`, { client });
    expect(r.blobs.mounted).toBe(3);
    expect(r.blobs.copied).toBe(0);
    expect(r.bytes).toBe(0);
    expect((await rawGetManifest(src.url, `${repo}-promoted`, 'v1')).bytes.equals(built.manifest)).toBe(true);
  });

  it('round-trips through an OCI layout on disk, readable by skopeo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-oci-'));
    try {
      const repo = uniqueRepo('oci');
      const built = buildIndex([buildImage({ layers: [7000], platform: { os: 'linux', architecture: 'amd64' } }), buildImage({ layers: [8000], platform: { os: 'linux', architecture: 'arm64' } })], 'oci');
      await pushImage(src.url, repo, 'v1', built);
      const out = await copy(`${src.host}/${repo}:v1`, `oci:${dir}:backup`, { client });
      expect(out.digest).toBe(built.digest);
      expect(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0].annotations['org.opencontainers.image.ref.name']).toBe('backup');
      expect((await skopeoInspectRaw(`oci:${dir}:backup`)).equals(built.manifest)).toBe(true);
      const back = await copy(`oci:${dir}:backup`, `${dst.host}/restored/${repo}:v1`, { client });
      expect(back.digest).toBe(built.digest);
      expect((await rawGetManifest(dst.url, `restored/${repo}`, 'v1')).bytes.equals(built.manifest)).toBe(true);
      const info = await inspect(`oci:${dir}:backup`, { client });
      expect(info.platforms?.map((p) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a reduced index for a platform subset, with its own valid digest', async () => {
    const repo = uniqueRepo('subset');
    const built = buildIndex([buildImage({ layers: [100], platform: { os: 'linux', architecture: 'amd64' } }), buildImage({ layers: [200], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })], 'docker');
    await pushImage(src.url, repo, 'v1', built);
    const r = await copy(`${src.host}/${repo}:v1`, `${dst.host}/subset/${repo}:v1`, { client, platforms: ['linux/arm64'] });
    expect(r.platformSubset).toBe(true);
    expect(r.digest).not.toBe(built.digest);
    const served = await rawGetManifest(dst.url, `subset/${repo}`, 'v1');
    expect(served.digest).toBe(r.digest);
    expect(sha256(served.bytes)).toBe(r.digest);
    const doc = JSON.parse(served.bytes.toString('utf8'));
    expect(doc.manifests).toHaveLength(1);
    expect(doc.manifests[0].platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(served.mediaType).toBe(built.mediaType);
  });
});
