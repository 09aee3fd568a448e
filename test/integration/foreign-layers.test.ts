/**
 * Non-distributable layers (OCI `…nondistributable…`, Docker foreign layers) with `urls`: left
 * behind by default with the manifest copied byte-exact, as the image spec and skopeo do; copied
 * with includeForeign when the source holds them. Also pins down what Distribution 2.8 accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { startLocalRegistry, type LocalRegistry } from '../../src/demo/local-registry.js';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, buildIndex, pushImage, rawGetBlob, rawGetManifest, sha256, uniqueRepo } from '../support/images.js';
import { imageWithForeignLayer } from '../support/odd-images.js';
import { registrySkipReason } from '../support/registry.js';
import { skopeoCopy, skopeoInspectRaw } from '../support/skopeo.js';

const skip = registrySkipReason();
const ALLOW_URLS = ['^https?://'];

async function blobStatus(registryUrl: string, repo: string, digest: string): Promise<number> {
  const res = await fetch(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return res.status;
}

describe.skipIf(skip)('non-distributable layers', () => {
  let strict: LocalRegistry;
  let src: LocalRegistry;
  let dst: LocalRegistry;
  let srcProxy: FaultProxy;
  let dstProxy: FaultProxy;
  let client: RegistryClient;

  beforeAll(async () => {
    [strict, src, dst] = await Promise.all([
      startLocalRegistry(),
      startLocalRegistry({ manifestUrlsAllow: ALLOW_URLS }),
      startLocalRegistry({ manifestUrlsAllow: ALLOW_URLS }),
    ]);
    [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    client = new RegistryClient({ credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([srcProxy?.stop(), dstProxy?.stop()]);
    await Promise.all([strict?.stop(), src?.stop(), dst?.stop()]);
  });

  it('Distribution 2.8 refuses layer urls by default, and with validation.manifests.urls.allow accepts them without the blob', async () => {
    const { image, foreign } = imageWithForeignLayer(buildImage({ layers: [1000], mediaTypeFlavour: 'docker' }), 'docker');
    // Default config: any manifest whose layers carry urls is refused (500 UNKNOWN, "invalid URL on layer").
    await expect(pushImage(strict.url, uniqueRepo('strict'), 'v1', image)).rejects.toThrow(/answered 500/);
    const repo = uniqueRepo('allow');
    await pushImage(dst.url, repo, 'v1', image);
    expect(await blobStatus(dst.url, repo, foreign.digest)).toBe(404);
    // Without urls, a non-distributable layer must be in the registry like any other.
    const { image: noUrls } = imageWithForeignLayer(buildImage({ layers: [1000] }), 'oci');
    const stripped = JSON.parse(noUrls.manifest.toString());
    delete stripped.layers[1].urls;
    const bytes = Buffer.from(JSON.stringify(stripped));
    const put = await fetch(`${dst.url}/v2/${repo}/manifests/no-urls`, { method: 'PUT', body: bytes, headers: { 'content-type': noUrls.mediaType } });
    expect(put.status).toBe(400);
    expect(await put.text()).toContain('MANIFEST_BLOB_UNKNOWN');
  });

  function foreignIndex() {
    const docker = imageWithForeignLayer(buildImage({ layers: [3000], mediaTypeFlavour: 'docker', platform: { os: 'windows', architecture: 'amd64' } }), 'docker');
    const oci = imageWithForeignLayer(buildImage({ layers: [4000], platform: { os: 'linux', architecture: 'amd64' } }), 'oci');
    return { docker, oci };
  }

  it('are neither fetched nor uploaded by default; the manifests are copied byte-exact, as skopeo copies them', async () => {
    const repo = uniqueRepo('foreign');
    const { docker, oci } = foreignIndex();
    const index = buildIndex([docker.image, oci.image], 'oci');
    await pushImage(src.url, repo, 'v1', index);
    srcProxy.reset();
    dstProxy.reset();
    const r = await copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(index.digest);
    expect(r.foreignSkipped).toBe(2);
    expect(r.blobs.copied).toBe(4); // two configs, two ordinary layers
    for (const f of [docker.foreign, oci.foreign]) {
      expect(srcProxy.requests.filter((q) => q.path.endsWith(f.digest))).toEqual([]);
      expect(dstProxy.requests.filter((q) => q.path.endsWith(f.digest) || q.query.includes(encodeURIComponent(f.digest)))).toEqual([]);
      expect(await blobStatus(dst.url, repo, f.digest)).toBe(404);
    }
    for (const m of [index, docker.image, oci.image]) {
      expect((await rawGetManifest(dst.url, repo, m.digest)).bytes.equals(m.manifest)).toBe(true);
    }
    expect((await skopeoInspectRaw(`${dst.host}/${repo}:v1`)).equals(index.manifest)).toBe(true);
    // skopeo leaves them behind too, and arrives at the same digest.
    await skopeoCopy(`${src.host}/${repo}:v1`, `${dst.host}/${repo}-skopeo:v1`);
    expect(sha256(await skopeoInspectRaw(`${dst.host}/${repo}-skopeo:v1`))).toBe(index.digest);
    expect(await blobStatus(dst.url, `${repo}-skopeo`, docker.foreign.digest)).toBe(404);
  });

  it('a target that refuses layer urls fails with a message that says why', async () => {
    const repo = uniqueRepo('refused');
    const { image } = imageWithForeignLayer(buildImage({ layers: [1000], mediaTypeFlavour: 'docker' }), 'docker');
    await pushImage(src.url, repo, 'v1', image);
    const err = await copy(`${src.host}/${repo}:v1`, `${strict.host}/${repo}:v1`, { client }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/lists 1 non-distributable layer\(s\) with urls, .*validation\.manifests\.urls\.allow/);
  });

  it('with includeForeign are copied when the source holds them, and left behind when it does not', async () => {
    const repo = uniqueRepo('include');
    const { docker, oci } = foreignIndex();
    const index = buildIndex([docker.image, oci.image], 'oci');
    // The source holds the Docker foreign layer, not the OCI one.
    await pushImage(src.url, repo, undefined, docker.withForeignBlob);
    await pushImage(src.url, repo, 'v1', index);
    const r = await copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client, includeForeign: true });
    expect(r.digest).toBe(index.digest);
    expect(r.foreignSkipped).toBe(1);
    expect(r.blobs.copied).toBe(5);
    expect(sha256(await rawGetBlob(dst.url, repo, docker.foreign.digest))).toBe(docker.foreign.digest);
    expect(await blobStatus(dst.url, repo, oci.foreign.digest)).toBe(404);
    expect((await rawGetManifest(dst.url, repo, 'v1')).bytes.equals(index.manifest)).toBe(true);
  });
});
