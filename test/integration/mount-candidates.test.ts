import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import type { RegtopoError } from '../../src/errors.js';
import { BlobLocationCache } from '../../src/ops/blob-locations/blob-location-cache.js';
import { copy } from '../../src/ops/copy.js';
import { mountCandidates } from '../../src/ops/mount-candidates.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { allBlobs, buildImage, pushImage, rawGetManifest, uniqueRepo, type BuiltImage } from '../support/images.js';
import { rewrite } from '../support/odd-images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

/** Blob bytes sent to the target: uploads are PUTs (monolithic) or PATCHes into an upload session. */
const blobUploads = (reqs: readonly ProxiedRequest[]) => reqs.filter((r) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.includes('/blobs/uploads/'));
const mounts = (reqs: readonly ProxiedRequest[], from?: string) =>
  reqs.filter((r) => r.method === 'POST' && r.query.includes('mount=') && (from === undefined || new URLSearchParams(r.query).get('from') === from));

describe.skipIf(skip)('promote-like copies mount what the target registry already holds in another repository', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  let image: BuiltImage;
  let repos: { a: string; b: string };

  const cacheAt = () => new BlobLocationCache(join(mkdtempSync(join(tmpdir(), 'regtopo-xdg-')), 'regtopo', 'blob-locations.json'));
  const topology = () => requireValidTopology(parseTopology(`version: 1
registries:
  ci: {role: ci, url: ${src.url}}
  prod: {role: prod, url: ${proxy.url}}
promotion:
  images:
    - {name: app, repository: ${repos.a}, source: ci}
    - {name: app-debug, repository: ${repos.b}, source: ci}
  stages:
    - {name: prod, from: ci, to: prod, tags: [latest]}
`, 'mount.yaml', { environ: {} }));

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    proxy = await startFaultProxy(dst.url);
    client = new RegistryClient({ credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.stop();
    await Promise.all([src?.stop(), dst?.stop()]);
  });
  beforeEach(async () => {
    repos = { a: uniqueRepo('app'), b: uniqueRepo('app-debug') };
    image = buildImage({ layers: [300_000, 200_000, 1000] });
    await pushImage(src.url, repos.a, '1', image);
    await pushImage(src.url, repos.b, '1', image);
    // prod already holds every blob, in the first image's repository.
    await copy(`${src.host}/${repos.a}:1`, `${proxy.host}/${repos.a}:1`, { client });
    proxy.reset();
  });

  it('topology candidates alone (empty cache, as on a CI runner): every blob mounted, no blob byte sent', async () => {
    const candidates = mountCandidates(topology(), { registry: proxy.host, repository: repos.b });
    expect(candidates).toEqual([repos.a]);
    const cache = cacheAt();
    const r = await copy(`${src.host}/${repos.b}:1`, `${proxy.host}/${repos.b}:1`, { client, mountCandidates: candidates, blobLocations: cache });
    const blobs = allBlobs(image).length;
    expect(r.blobs).toEqual({ copied: 0, mounted: blobs, existing: 0 });
    expect(r.bytes).toBe(0);
    expect(blobUploads(proxy.requests)).toEqual([]);
    expect(mounts(proxy.requests, repos.a)).toHaveLength(blobs);
    // No blob is HEADed: the target repository is new, and the holder was asked once whether it holds
    // the image itself. It does, so the lengths the manifest declares are those prod serves already.
    expect(proxy.requests.filter((q) => q.method === 'HEAD' && q.path.includes('/blobs/'))).toEqual([]);
    expect(proxy.count('HEAD', new RegExp(`^/v2/${repos.a}/manifests/${image.digest}$`))).toBe(1);
    expect((await rawGetManifest(dst.url, repos.b, '1')).digest).toBe(image.digest);
    // The run's sightings were written for the next run.
    const reread = new BlobLocationCache(cache.path);
    await reread.load();
    for (const d of allBlobs(image)) expect(reread.lookup(proxy.host, d.digest)).toContain(repos.b);
  });

  it('another manifest over the holder\'s blobs (a new build of the same layers) mounts each blob alongside a HEAD of its holder\'s length', async () => {
    const next = rewrite(image, (doc) => { doc.annotations = { build: '2' }; });
    await pushImage(src.url, repos.b, '2', { ...next, layers: image.layers });
    proxy.reset();
    const r = await copy(`${src.host}/${repos.b}:2`, `${proxy.host}/${repos.b}:2`, { client, mountCandidates: [repos.a] });
    const blobs = allBlobs(image).length;
    expect(r.digest).toBe(next.digest);
    expect(r.blobs).toEqual({ copied: 0, mounted: blobs, existing: 0 });
    expect(proxy.count('HEAD', new RegExp(`^/v2/${repos.a}/manifests/${next.digest}$`))).toBe(1);
    for (const d of allBlobs(image)) expect(proxy.count('HEAD', new RegExp(`^/v2/${repos.a}/blobs/${d.digest}$`))).toBe(1);
  });

  it('a layer size the source\'s manifest lies about is refused with topology candidates alone: the holder holds other bytes under that digest', async () => {
    const lying = rewrite(image, (doc) => { doc.layers[0].size += 1; });
    const liar = uniqueRepo('liar');
    await pushImage(src.url, liar, 'lie', { ...lying, layers: image.layers });
    proxy.reset();
    const err = await copy(`${src.host}/${liar}:lie`, `${proxy.host}/${repos.b}:lie`, { client, mountCandidates: [repos.a] }).then(
      () => { throw new Error('the lying copy succeeded'); },
      (e: RegtopoError) => e,
    );
    expect(err.code).toBe('E_SIZE_MISMATCH');
    // The holder does not hold the lying manifest, so its word on the image vouches for nothing.
    expect(proxy.count('HEAD', new RegExp(`^/v2/${repos.a}/manifests/${lying.digest}$`))).toBe(1);
    expect(proxy.count('PUT', /\/manifests\//)).toBe(0);
  });

  it('a registry that says a repository holds the image when it holds none of its blobs costs refused mounts, and the blobs are uploaded', async () => {
    const empty = uniqueRepo('empty');
    proxy.addRule({
      method: 'HEAD', path: new RegExp(`^/v2/${empty}/manifests/`),
      fault: { kind: 'serve', status: 200, headers: { 'docker-content-digest': image.digest, 'content-type': image.descriptor.mediaType, 'content-length': String(image.size) }, body: Buffer.alloc(0) },
    });
    const r = await copy(`${src.host}/${repos.b}:1`, `${proxy.host}/${repos.b}:1`, { client, mountCandidates: [empty] });
    const blobs = allBlobs(image).length;
    expect(r.blobs).toEqual({ copied: blobs, mounted: 0, existing: 0 });
    expect(mounts(proxy.requests, empty)).toHaveLength(blobs);
    expect(blobUploads(proxy.requests)).toHaveLength(blobs);
    expect((await rawGetManifest(dst.url, repos.b, '1')).digest).toBe(image.digest);
  });

  /**
   * An image of `layers` small layers (plus its config) held in a repository of the target and in a
   * fresh repository of the source, with every upload-session POST (each mount) answered after `ms`.
   */
  const heldElsewhere = async (layers: number, ms: number) => {
    const wide = buildImage({ layers: Array.from({ length: layers }, (_, i) => 1000 + i) });
    const held = uniqueRepo('held');
    const fresh = uniqueRepo('wide');
    await pushImage(dst.url, held, '1', wide);
    await pushImage(src.url, fresh, '1', wide);
    proxy.reset();
    proxy.addRule({ method: 'POST', path: /\/blobs\/uploads\/$/, fault: { kind: 'delay', ms } });
    return { held, fresh };
  };

  it('topology guesses mount under the mount slots, not the transfer slots: 10 blobs with the default 8 transfers all mount at once', async () => {
    // Each mount is answered after 150 ms: eight mounts, then two more after them, would not overlap.
    const { held, fresh } = await heldElsewhere(9, 150);
    const r = await copy(`${src.host}/${fresh}:1`, `${proxy.host}/${fresh}:1`, { client, mountCandidates: [held] });
    expect(r.blobs).toEqual({ copied: 0, mounted: 10, existing: 0 });
    const sent = mounts(proxy.requests, held);
    expect(sent).toHaveLength(10);
    const firstEnd = Math.min(...sent.map((q) => q.endedAt!));
    for (const q of sent) expect(q.startedAt).toBeLessThan(firstEnd);
  });

  it('an explicit jobs (a --jobs flag, a registry\'s limits.concurrency) caps the mounts in flight too', async () => {
    const { held, fresh } = await heldElsewhere(7, 60);
    const r = await copy(`${src.host}/${fresh}:1`, `${proxy.host}/${fresh}:1`, { client, jobs: 2, mountCandidates: [held] });
    expect(r.blobs.mounted).toBe(8);
    const sent = mounts(proxy.requests, held);
    expect(sent).toHaveLength(8);
    const inFlight = (t: number) => sent.filter((q) => q.startedAt <= t && t < q.endedAt!).length;
    expect(Math.max(...sent.map((q) => inFlight(q.startedAt)))).toBeLessThanOrEqual(2);
  });

  it('the location cache alone (no topology): a second run mounts from where the first saw the blobs', async () => {
    const cache = cacheAt();
    const first = uniqueRepo('first');
    await copy(`${src.host}/${repos.a}:1`, `${proxy.host}/${first}:1`, { client, blobLocations: cache });
    proxy.reset();
    const next = new BlobLocationCache(cache.path);
    const r = await copy(`${src.host}/${repos.b}:1`, `${proxy.host}/${repos.b}:1`, { client, blobLocations: next });
    expect(r.blobs.mounted).toBe(allBlobs(image).length);
    expect(blobUploads(proxy.requests)).toEqual([]);
    expect(mounts(proxy.requests, first)).toHaveLength(allBlobs(image).length);
    // The first run recorded each length it checked, so no mount needs a HEAD: one request per blob.
    expect(proxy.requests.filter((q) => q.method === 'HEAD' && q.path.includes('/blobs/'))).toEqual([]);
  });

  it('the cache is written while the manifest PUT is in flight, not after it', async () => {
    const cache = cacheAt();
    const target = uniqueRepo('flush');
    let writtenBeforePut = false;
    // The manifest PUT is held until the cache file names the target repository (or 3 s pass).
    const fileNamesTarget = (async () => {
      for (let i = 0; i < 300; i++) {
        try {
          if (readFileSync(cache.path, 'utf8').includes(target)) return (writtenBeforePut = true);
        } catch {
          // not written yet
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return false;
    })();
    proxy.addRule({ method: 'PUT', path: /\/manifests\//, fault: { kind: 'delay', until: fileNamesTarget } });
    const r = await copy(`${src.host}/${repos.a}:1`, `${proxy.host}/${target}:1`, { client, blobLocations: cache });
    expect(r.blobs.copied).toBe(allBlobs(image).length);
    expect(writtenBeforePut).toBe(true);
    expect((await rawGetManifest(dst.url, target, '1')).digest).toBe(image.digest);
  });

  it('a layer size that differs from the one the cache recorded for its digest is checked and refused, not mounted on trust', async () => {
    const cache = cacheAt();
    const first = uniqueRepo('first');
    await copy(`${src.host}/${repos.a}:1`, `${proxy.host}/${first}:1`, { client, blobLocations: cache });
    const lying = rewrite(image, (doc) => { doc.layers[0].size += 1; });
    const liar = uniqueRepo('liar');
    await pushImage(src.url, liar, 'lie', { ...lying, layers: image.layers });
    proxy.reset();
    const err = await copy(`${src.host}/${liar}:lie`, `${proxy.host}/${liar}:lie`, { client, blobLocations: new BlobLocationCache(cache.path) }).then(
      () => { throw new Error('the lying copy succeeded'); },
      (e: RegtopoError) => e,
    );
    expect(err.code).toBe('E_SIZE_MISMATCH');
    expect(err.message).toContain(`its descriptor says ${image.layers[0]!.size + 1}`);
    // Its holder was HEADed alongside the mount, as for a sighting without a recorded length.
    expect(proxy.count('HEAD', new RegExp(`/v2/${first}/blobs/${image.layers[0]!.digest}$`))).toBe(1);
    expect(proxy.count('PUT', /\/manifests\//)).toBe(0);
  });

  it('a stale cache entry costs one refused mount per blob, the upload follows, and the entry is dropped', async () => {
    const cache = cacheAt();
    const ghost = uniqueRepo('ghost');
    mkdirSync(join(cache.path, '..'), { recursive: true });
    const stale = Object.fromEntries(allBlobs(image).map((d) => [d.digest, [[proxy.host, ghost, Date.now() - 1000]]]));
    writeFileSync(cache.path, JSON.stringify({ format: 'regtopo.blob-locations.v1', blobs: stale }));
    const r = await copy(`${src.host}/${repos.b}:1`, `${proxy.host}/${repos.b}:1`, { client, blobLocations: cache });
    const blobs = allBlobs(image).length;
    expect(r.blobs.copied).toBe(blobs);
    expect(mounts(proxy.requests, ghost)).toHaveLength(blobs);
    expect(blobUploads(proxy.requests)).toHaveLength(blobs);
    expect(readFileSync(cache.path, 'utf8')).not.toContain(ghost);

    proxy.reset();
    const again = new BlobLocationCache(cache.path);
    await copy(`${src.host}/${repos.b}:1`, `${proxy.host}/${uniqueRepo('third')}:1`, { client, blobLocations: again });
    expect(mounts(proxy.requests, ghost)).toEqual([]);
    expect(mounts(proxy.requests, repos.b)).toHaveLength(blobs);
    expect(blobUploads(proxy.requests)).toEqual([]);
  });
});
