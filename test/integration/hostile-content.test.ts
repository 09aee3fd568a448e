/**
 * Manifest/index confusion (CVE-2021-41190), schema 1 and malformed descriptors, from OCI layouts
 * and registries into a real Distribution registry: contradictions are refused before anything is
 * written; a document whose own mediaType is consistent with its shape is pushed as that type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, buildIndex, MT, pushImage, rawGetManifest, sha256, uniqueRepo } from '../support/images.js';
import { entryFor, rawLayout } from '../support/oci-layout-builder.js';
import { schema1Body, writesSeen } from '../support/odd-images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { skopeoCopy, skopeoInspectRaw } from '../support/skopeo.js';

const skip = registrySkipReason();

async function refusal(p: Promise<unknown>): Promise<RegtopoError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegtopoError);
  return err as RegtopoError;
}

describe.skipIf(skip)('hostile or broken content is refused before anything is written', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let srcProxy: FaultProxy;
  let dstProxy: FaultProxy;
  let client: RegistryClient;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    client = new RegistryClient({ credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([srcProxy?.stop(), dstProxy?.stop()]);
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  /** A layout holding one child image and an index document, listed in index.json as `listedAs`. */
  async function layoutWithIndex(indexDoc: (child: ReturnType<typeof buildImage>) => unknown, listedAs: string) {
    const layout = await rawLayout();
    const child = buildImage({ layers: [3000, 4000], platform: { os: 'linux', architecture: 'amd64' } });
    await layout.addBuilt(child);
    const index = await layout.addDocument(indexDoc(child));
    await layout.writeIndex([entryFor(index, listedAs, 'v1')]);
    return { layout, child, index };
  }

  /** What the registry does with these bytes under the media type the layout lists them as. */
  async function statusOfNaivePush(repo: string, child: ReturnType<typeof buildImage>, bytes: Buffer, contentType: string): Promise<number> {
    await pushImage(dst.url, repo, undefined, child);
    const res = await request(`${dst.url}/v2/${repo}/manifests/naive`, { method: 'PUT', body: bytes, headers: { 'content-type': contentType } });
    await res.body.dump();
    return res.statusCode;
  }

  it.each([
    ['its own mediaType says OCI index', (c: ReturnType<typeof buildImage>) => ({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ ...c.descriptor, platform: c.platform }] })],
    // go-containerregistry's pkg/v1/layout/testdata/test_index, tag "4": no mediaType in the document at all.
    ['it has no mediaType (go-containerregistry test_index)', (c: ReturnType<typeof buildImage>) => ({ schemaVersion: 2, manifests: [{ ...c.descriptor, platform: c.platform }] })],
  ])('an index listed as a Docker manifest list is pushed as an OCI index when %s, byte-exact', async (_name, doc) => {
    const { layout, child, index } = await layoutWithIndex(doc, MT.dockerList);
    const repo = uniqueRepo('confused');
    // The fixture reproduces the failure: under the listed type, the registry refuses these bytes.
    expect(await statusOfNaivePush(`${repo}-naive`, child, index.bytes, MT.dockerList)).toBe(400);

    const r = await copy(`oci:${layout.dir}:v1`, `${dstProxy.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(index.digest);
    expect(r.mediaType).toBe(MT.ociIndex);
    const served = await rawGetManifest(dst.url, repo, 'v1');
    expect(served.bytes.equals(index.bytes)).toBe(true);
    expect(served.digest).toBe(index.digest);
    expect(served.mediaType).toBe(MT.ociIndex);
    expect((await skopeoInspectRaw(`${dst.host}/${repo}:v1`)).equals(index.bytes)).toBe(true);
    // The pushed tree is whole: skopeo copies it on, children and blobs, to the same digest. (skopeo
    // 1.9 cannot read the layout itself: its OCI source skips index.json entries of Docker types.)
    await skopeoCopy(`${dst.host}/${repo}:v1`, `${dst.host}/${repo}-skopeo:v1`);
    expect(sha256(await skopeoInspectRaw(`${dst.host}/${repo}-skopeo:v1`))).toBe(index.digest);
  });

  const image = () => buildImage({ layers: [1000] });
  it.each([
    ['an index with "layers"', MT.ociIndex, () => ({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [image().descriptor], layers: [] }), /both "manifests" and "config"\/"layers"/],
    ['an image manifest with "manifests"', MT.ociManifest, () => {
      const doc = JSON.parse(image().manifest.toString());
      return { ...doc, manifests: [] };
    }, /both "manifests" and "config"\/"layers"/],
    ['schemaVersion 3', MT.ociManifest, () => ({ ...JSON.parse(image().manifest.toString()), schemaVersion: 3 }), /schemaVersion is 3, expected 2/],
    ['no schemaVersion', MT.ociManifest, () => {
      const { schemaVersion: _s, ...doc } = JSON.parse(image().manifest.toString());
      return doc;
    }, /schemaVersion is missing, expected 2/],
    ['an index listed as an image manifest', MT.ociManifest, () => ({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [image().descriptor] }), /listed or served as application\/vnd.oci.image.manifest.v1\+json but the document says it is application\/vnd.oci.image.index.v1\+json/],
    ['a Docker manifest whose body is an index', MT.dockerManifest, () => ({ schemaVersion: 2, mediaType: MT.dockerManifest, manifests: [image().descriptor] }), /says it is application\/vnd.docker.distribution.manifest.v2\+json but has "manifests"/],
  ])('%s is refused as invalid content, nothing written', async (_name, listedAs, doc, message) => {
    const layout = await rawLayout();
    const d = await layout.addDocument(doc());
    await layout.writeIndex([entryFor(d, listedAs, 'v1')]);
    dstProxy.reset();
    const err = await refusal(copy(`oci:${layout.dir}:v1`, `${dstProxy.host}/${uniqueRepo('shape')}:v1`, { client }));
    expect(err.code).toBe('E_CONTENT_INVALID');
    expect(err.message).toMatch(message);
    expect(writesSeen(dstProxy)).toEqual([]);
  });

  it('a registry whose Content-Type contradicts the document is refused, nothing written', async () => {
    const repo = uniqueRepo('lying-type');
    const child = buildImage({ layers: [2000] });
    const index = buildIndex([child], 'oci');
    await pushImage(src.url, repo, 'v1', index);
    // The registry says "image manifest" for what is an index.
    srcProxy.reset();
    srcProxy.addRule({ path: new RegExp(`/manifests/(v1|${index.digest})$`), fault: {
      kind: 'serve', headers: { 'content-type': MT.ociManifest, 'docker-content-digest': index.digest }, body: index.manifest,
    } });
    dstProxy.reset();
    const err = await refusal(copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client }));
    expect(err.code).toBe('E_CONTENT_INVALID');
    expect(err.message).toContain(`listed or served as ${MT.ociManifest} but the document says it is ${MT.ociIndex}`);
    expect(writesSeen(dstProxy)).toEqual([]);
  });

  it.each([
    ['its own media type', 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
    ['a generic Content-Type', 'application/json'],
  ])('a schema 1 manifest served under %s is refused as unsupported, the same way every run, not as an integrity error', async (_name, contentType) => {
    const repo = uniqueRepo('schema1');
    srcProxy.reset();
    // As Distribution does: by tag and by digest, freshly signed each time, the digest of the unsigned payload.
    const payloadDigest = sha256(Buffer.from('payload'));
    srcProxy.addRule({ path: new RegExp(`/manifests/(old|${payloadDigest})$`), fault: {
      kind: 'serve', headers: { 'content-type': contentType, 'docker-content-digest': payloadDigest }, body: schema1Body(repo, 'old'),
    } });
    dstProxy.reset();
    const messages: string[] = [];
    for (let run = 0; run < 2; run++) {
      const err = await refusal(copy(`${srcProxy.host}/${repo}:old`, `${dstProxy.host}/${repo}:old`, { client }));
      expect(err.code).toBe('E_MANIFEST_UNSUPPORTED');
      messages.push(err.message);
    }
    expect(messages[0]).toContain('schema 1 manifests are not supported');
    expect(messages[1]).toBe(messages[0]);
    expect(writesSeen(dstProxy)).toEqual([]);
  });

  it('a schema 1 manifest in a layout, or as an index entry, is refused as unsupported before any upload', async () => {
    const layout = await rawLayout();
    const old = await layout.addDocument(JSON.parse(schema1Body('x', 'old')().toString()));
    const good = buildImage({ layers: [3000] });
    await layout.addBuilt(good);
    const index = await layout.addDocument({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [good.descriptor, { mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws', digest: old.digest, size: old.size }] });
    await layout.writeIndex([entryFor(old, 'application/vnd.docker.distribution.manifest.v1+json', 'old'), entryFor(index, MT.ociIndex, 'mixed')]);
    dstProxy.reset();
    for (const tag of ['old', 'mixed']) {
      const err = await refusal(copy(`oci:${layout.dir}:${tag}`, `${dstProxy.host}/${uniqueRepo('schema1')}:${tag}`, { client }));
      expect(err.code).toBe('E_MANIFEST_UNSUPPORTED');
      expect(err.message).toContain('schema 1 manifests are not supported');
    }
    expect(writesSeen(dstProxy)).toEqual([]);
  });

  it.each([
    ['an index.json entry without a digest', 'entry', { mediaType: MT.ociManifest, size: 10 }, /manifests\[0\]: descriptor digest is missing, expected a string/],
    ['a layer whose digest is a number', 'layer', { mediaType: MT.ociLayer, size: 10, digest: 5 }, /layers\[0\]: descriptor digest is 5, expected a string/],
    ['a layer that is not an object', 'layer', 'sha256:abc', /layers\[0\]: descriptor is "sha256:abc", expected an object/],
    ['a config with a path in its digest', 'config', { mediaType: MT.ociConfig, size: 2, digest: 'sha256:../../../etc/passwd' }, /invalid .* config digest "sha256:..\/..\/..\/etc\/passwd": expected sha256/],
    ['a layer with a negative size', 'layer', { mediaType: MT.ociLayer, size: -1, digest: sha256(Buffer.from('x')) }, /descriptor size is not a non-negative integer \(it is -1\)/],
  ])('%s is refused as invalid content (not a usage error), and the message shows no JavaScript value', async (_name, where, bad, message) => {
    const layout = await rawLayout();
    const good = buildImage({ layers: [1000] });
    await layout.addBuilt(good);
    if (where === 'entry') {
      await layout.writeIndex([{ ...(bad as object), annotations: { 'org.opencontainers.image.ref.name': 'v1' } }]);
    } else {
      const doc = JSON.parse(good.manifest.toString());
      if (where === 'layer') doc.layers = [bad];
      else doc.config = bad;
      const d = await layout.addDocument(doc);
      await layout.writeIndex([entryFor(d, MT.ociManifest, 'v1')]);
    }
    dstProxy.reset();
    const err = await refusal(copy(`oci:${layout.dir}:v1`, `${dstProxy.host}/${uniqueRepo('bad-desc')}:v1`, { client }));
    expect(err.code).toBe('E_CONTENT_INVALID');
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/undefined|\[object|NaN/);
    expect(writesSeen(dstProxy)).toEqual([]);
  });
});
