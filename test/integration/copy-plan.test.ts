/**
 * The copy reads and validates the whole manifest tree before the first blob moves, announces its
 * blob count and bytes up front, and checks every size: index entries against their child's bytes,
 * layers against what the target already holds (found by HEAD, or mounted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import type { CopyEvent } from '../../src/ops/copy-progress.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { allBlobs, buildImage, buildIndex, MT, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { entryFor, rawLayout } from '../support/oci-layout-builder.js';
import { blobUploadsSeen, rewrite, writesSeen } from '../support/odd-images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

async function refusal(p: Promise<unknown>): Promise<RegtopoError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RegtopoError);
  return err as RegtopoError;
}

describe.skipIf(skip)('the manifest tree is read and validated before any blob moves', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let dstProxy: FaultProxy;
  let client: RegistryClient;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    dstProxy = await startFaultProxy(dst.url);
    client = new RegistryClient({ credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await dstProxy?.stop();
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  const amd64 = { os: 'linux', architecture: 'amd64' };
  const arm64 = { os: 'linux', architecture: 'arm64' };

  it('a malformed child manifest costs no upload: the good sibling listed first moves nothing either', async () => {
    const repo = uniqueRepo('bad-child');
    const good = buildImage({ layers: [200_000, 300_000], platform: amd64 });
    const other = buildImage({ layers: [1000], platform: arm64 });
    // The entry calls an image manifest an index; Distribution stores it without cross-checking.
    const index = rewrite(buildIndex([good, other], 'oci'), (doc) => { doc.manifests[1].mediaType = MT.ociIndex; });
    await pushImage(src.url, repo, 'v1', index);
    dstProxy.reset();
    const err = await refusal(copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client }));
    expect(err.code).toBe('E_CONTENT_INVALID');
    expect(err.message).toContain(`@${other.digest}: the descriptor that points here says ${MT.ociIndex}`);
    expect(blobUploadsSeen(dstProxy)).toBe(0);
    expect(writesSeen(dstProxy)).toEqual([]);
  });

  it('a child with a broken layer descriptor in an OCI layout costs no upload', async () => {
    const layout = await rawLayout();
    const good = buildImage({ layers: [100_000], platform: amd64 });
    await layout.addBuilt(good);
    const broken = await layout.addDocument({ ...JSON.parse(good.manifest.toString()), layers: [{ mediaType: MT.ociLayer, size: 3 }] });
    const index = await layout.addDocument({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [
      { ...good.descriptor, platform: amd64 }, { mediaType: MT.ociManifest, digest: broken.digest, size: broken.size, platform: arm64 },
    ] });
    await layout.writeIndex([entryFor(index, MT.ociIndex, 'v1')]);
    dstProxy.reset();
    const err = await refusal(copy(`oci:${layout.dir}:v1`, `${dstProxy.host}/${uniqueRepo('layout-child')}:v1`, { client }));
    expect(err.code).toBe('E_CONTENT_INVALID');
    expect(err.message).toMatch(/layers\[0\]: descriptor digest is missing/);
    expect(blobUploadsSeen(dstProxy)).toBe(0);
  });

  it('the plan event announces the blob count and bytes before the first blob moves', async () => {
    const repo = uniqueRepo('plan');
    const built = buildIndex([buildImage({ layers: [3000, 70_000], platform: amd64 }), buildImage({ layers: [5000], platform: arm64 })], 'oci');
    await pushImage(src.url, repo, 'v1', built);
    dstProxy.reset();
    const events: CopyEvent[] = [];
    let blobRequestsAtPlan = -1;
    const r = await copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, {
      client,
      progress: (e) => {
        if (e.type === 'plan') blobRequestsAtPlan = dstProxy.requests.filter((q) => q.path.includes('/blobs/')).length;
        events.push(e);
      },
    });
    const blobs = allBlobs(built);
    const bytes = blobs.reduce((n, b) => n + b.size, 0);
    expect(events[0]).toEqual({ type: 'plan', blobs: blobs.length, bytes });
    expect(events.filter((e) => e.type === 'plan')).toHaveLength(1);
    expect(blobRequestsAtPlan).toBe(0);
    expect(r.planned).toEqual({ blobs: blobs.length, bytes });
    expect(events.filter((e) => e.type === 'blob')).toHaveLength(blobs.length);
    expect(events.filter((e) => e.type === 'bytes').reduce((n, e) => n + (e.type === 'bytes' ? e.n : 0), 0)).toBe(bytes);
  });

  it('an index listing one child many times reads, checks, HEADs and pushes it once', async () => {
    const repo = uniqueRepo('repeated');
    const child = buildImage({ layers: [2000], platform: amd64 });
    const index = rewrite(buildIndex([child], 'oci'), (doc) => { doc.manifests = Array.from({ length: 50 }, () => doc.manifests[0]); });
    await pushImage(src.url, repo, 'v1', index);
    // A repository the target knows already, so its manifests are HEADed (a new one's are not).
    await pushImage(dst.url, repo, 'other', buildImage({ layers: [100] }));
    dstProxy.reset();
    const r = await copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(index.digest);
    expect(dstProxy.count('HEAD', new RegExp(`/manifests/${child.digest}$`))).toBe(1);
    expect(dstProxy.count('PUT', new RegExp(`/manifests/${child.digest}$`))).toBe(1);
    expect((await rawGetManifest(dst.url, repo, 'v1')).bytes.equals(index.manifest)).toBe(true);
  });

  it(`a child manifest's HEAD in the target goes out with its GET from the source, not a round trip after it; a new repository gets none`, async () => {
    const repo = uniqueRepo('child-head');
    const children = [buildImage({ layers: [1500], platform: amd64 }), buildImage({ layers: [1600], platform: { os: 'linux', architecture: 'arm64' } })];
    const index = buildIndex(children, 'oci');
    await pushImage(src.url, repo, 'v1', index);
    await pushImage(dst.url, repo, 'other', buildImage({ layers: [100] }));
    const srcProxy = await startFaultProxy(src.url);
    try {
      // Each child's read takes 200 ms: a HEAD sent after it would start after that read ended.
      srcProxy.addRule({ method: 'GET', path: new RegExp(`/manifests/(${children.map((c) => c.digest).join('|')})$`), fault: { kind: 'delay', ms: 200 } });
      dstProxy.reset();
      expect((await copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client })).digest).toBe(index.digest);
      for (const c of children) {
        const read = srcProxy.requests.find((q) => q.method === 'GET' && q.path.endsWith(`/manifests/${c.digest}`))!;
        const heads = dstProxy.requests.filter((q) => q.method === 'HEAD' && q.path.endsWith(`/manifests/${c.digest}`));
        expect(heads).toHaveLength(1);
        expect(heads[0]!.startedAt).toBeLessThan(read.endedAt!);
      }
      // Into a repository the target registry does not know: the probe says so, and no child is HEADed.
      dstProxy.reset();
      expect((await copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}-new:v1`, { client })).digest).toBe(index.digest);
      for (const c of children) expect(dstProxy.count('HEAD', new RegExp(`/manifests/${c.digest}$`))).toBe(0);
      expect(dstProxy.count('PUT', /\/manifests\//)).toBe(3);
      expect((await rawGetManifest(dst.url, `${repo}-new`, 'v1')).bytes.equals(index.manifest)).toBe(true);
    } finally {
      await srcProxy.stop();
    }
  });

  it('indexes nested deeper than any real image are refused before any upload', async () => {
    const layout = await rawLayout();
    const image = buildImage({ layers: [1000] });
    await layout.addBuilt(image);
    let top: { mediaType: string; digest: string; size: number } = { mediaType: MT.ociManifest, digest: image.digest, size: image.size };
    for (let i = 0; i < 10; i++) {
      const d = await layout.addDocument({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [top] });
      top = { mediaType: MT.ociIndex, digest: d.digest, size: d.size };
    }
    await layout.writeIndex([entryFor(top, MT.ociIndex, 'deep')]);
    dstProxy.reset();
    const err = await refusal(copy(`oci:${layout.dir}:deep`, `${dstProxy.host}/${uniqueRepo('deep')}:v1`, { client }));
    expect(err.code).toBe('E_CONTENT_INVALID');
    expect(err.message).toContain('indexes nested more than 8 deep');
    expect(blobUploadsSeen(dstProxy)).toBe(0);
  });

  it('an index entry whose size is not its child manifest\'s byte length is refused before any upload', async () => {
    const repo = uniqueRepo('entry-size');
    const child = buildImage({ layers: [50_000], platform: amd64 });
    const index = rewrite(buildIndex([child], 'oci'), (doc) => { doc.manifests[0].size += 7; });
    await pushImage(src.url, repo, 'v1', index);
    dstProxy.reset();
    const err = await refusal(copy(`${src.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client }));
    expect(err.code).toBe('E_SIZE_MISMATCH');
    expect(err.message).toContain(`manifest is ${child.size} bytes, its descriptor says ${child.size + 7}`);
    expect(blobUploadsSeen(dstProxy)).toBe(0);
  });

  it('a layer size that lies is refused even when the target already holds the blob', async () => {
    const repo = uniqueRepo('lying-size');
    const image = buildImage({ layers: [40_000] });
    await pushImage(dst.url, repo, 'v1', image);
    // Distribution stores a manifest whose layer size is wrong; the digest still names the real blob.
    const lying = rewrite(image, (doc) => { doc.layers[0].size += 1; });
    await pushImage(src.url, repo, 'lie', { ...lying, layers: image.layers });
    dstProxy.reset();
    const err = await refusal(copy(`${src.host}/${repo}:lie`, `${dstProxy.host}/${repo}:lie`, { client }));
    expect(err.code).toBe('E_SIZE_MISMATCH');
    expect(err.message).toContain(`is ${image.layers[0]!.size} bytes, its descriptor says ${image.layers[0]!.size + 1}`);
    expect(dstProxy.count('HEAD', new RegExp(`/blobs/${image.layers[0]!.digest}$`))).toBe(1);
    expect(dstProxy.count('PUT', /\/manifests\//)).toBe(0);
    expect((await rawGetManifest(dst.url, repo, 'lie')).status).toBe(404);
  });

  it('a layer size that lies is refused when the blob is mounted within one registry', async () => {
    const repo = uniqueRepo('lying-mount');
    const image = buildImage({ layers: [40_000] });
    const lying = rewrite(image, (doc) => { doc.layers[0].size -= 1; });
    await pushImage(src.url, repo, 'lie', { ...lying, layers: image.layers });
    const err = await refusal(copy(`${src.host}/${repo}:lie`, `${src.host}/${repo}-mounted:lie`, { client }));
    expect(err.code).toBe('E_SIZE_MISMATCH');
    expect((await rawGetManifest(src.url, `${repo}-mounted`, 'lie')).status).toBe(404);
  });

  it('a mount from a known holder checks the size with a HEAD of the holder sent alongside, not one after', async () => {
    const repo = uniqueRepo('alongside');
    const image = buildImage({ layers: [30_000, 20_000, 10_000] });
    await pushImage(dst.url, repo, 'v1', image);
    dstProxy.reset();
    const r = await copy(`${dstProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}-next:v1`, { client });
    const blobs = allBlobs(image).length;
    expect(r.blobs).toEqual({ copied: 0, mounted: blobs, existing: 0 });
    expect(dstProxy.count('POST', new RegExp(`/${repo}-next/blobs/uploads/$`))).toBe(blobs);
    expect(dstProxy.count('HEAD', new RegExp(`/${repo}/blobs/`))).toBe(blobs);
    expect(dstProxy.count('HEAD', new RegExp(`/${repo}-next/blobs/`))).toBe(0);
    // The lie is caught on this path too, before any manifest is written.
    const lying = rewrite(image, (doc) => { doc.layers[1].size += 3; });
    await pushImage(dst.url, repo, 'lie', { ...lying, layers: image.layers });
    const err = await refusal(copy(`${dstProxy.host}/${repo}:lie`, `${dstProxy.host}/${repo}-third:lie`, { client }));
    expect(err.code).toBe('E_SIZE_MISMATCH');
    expect(err.message).toContain(`mounted from ${dstProxy.host}/${repo} is ${image.layers[1]!.size} bytes`);
    expect((await rawGetManifest(dst.url, `${repo}-third`, 'lie')).status).toBe(404);
  });
});
