/**
 * Round trips a WAN charges for: a request that follows another on the same origin goes out on the
 * connection the first one used (a new connection is a TCP handshake, a round trip, and TLS on top),
 * and requests that do not depend on each other go out together. Read from the client ports and
 * timestamps the counting proxy records in front of real registries.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { BlobLocationCache } from '../../src/ops/blob-locations/blob-location-cache.js';
import { copy, type CopyOptions } from '../../src/ops/copy.js';
import { tag } from '../../src/ops/tag.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { countedRegistryPair, type CountedRegistryPair } from '../support/counted-registry-pair.js';
import type { FaultProxy, ProxiedRequest } from '../support/fault-proxy.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();
const TRIALS = 5;

const ports = (requests: readonly ProxiedRequest[]) => new Set(requests.map((q) => q.clientPort)).size;
/** a started before b ended and b before a ended: the two were in flight together. */
const overlapped = (a: ProxiedRequest, b: ProxiedRequest) => a.startedAt < (b.endedAt ?? Infinity) && b.startedAt < (a.endedAt ?? Infinity);

describe.skipIf(skip)('connections: a chain of requests to one origin rides one connection', () => {
  let pair: CountedRegistryPair;
  let src: TestRegistry;
  let dst: TestRegistry;
  let up: FaultProxy;
  let down: FaultProxy;

  beforeAll(async () => {
    pair = await countedRegistryPair();
    ({ src, dst, up, down } = pair);
  });
  afterAll(() => pair?.stop());
  beforeEach(() => pair.reset());

  /**
   * One copy by a fresh client (its pools empty, as a CLI command's are) whose manifest GET takes
   * 150 ms, as across a slow link: time enough for connections dialled ahead to open. Returns the
   * result and when that GET ended.
   */
  async function copySlowManifest(source: string, target: string, options: Omit<CopyOptions, 'client'> = {}) {
    up.reset();
    down.reset();
    up.addRule({ method: 'GET', path: /\/manifests\/sha256:/, fault: { kind: 'delay', ms: 150 } });
    const client = new RegistryClient({ credentials: staticCredentials({}) });
    try {
      const result = await copy(source, target, { ...options, client });
      const manifestRead = up.requests.find((q) => q.method === 'GET' && q.path.includes('/manifests/sha256:'))!;
      return { result, manifestReadEnded: manifestRead.endedAt! };
    } finally {
      await client.close();
    }
  }

  /** Each request went out on a connection the proxy had accepted before `t`. */
  function sentOnConnectionsOpenedBefore(proxy: FaultProxy, requests: readonly ProxiedRequest[], t: number): void {
    const openedAt = new Map(proxy.connections.map((c) => [c.clientPort, c.openedAt]));
    for (const q of requests) expect(openedAt.get(q.clientPort)).toBeLessThan(t);
  }

  it(`a promotion into a registry that holds every blob: the source HEAD then GET share one connection, ${TRIALS} trials`, async () => {
    const repo = uniqueRepo('reuse');
    const image = buildImage({ layers: [4096, 8192, 16384] });
    await pushImage(src.url, repo, '1', image);
    // The target registry holds the blobs under another repository: the promotion mounts them.
    await pushImage(dst.url, `${repo}-held`, '1', image);
    for (let trial = 0; trial < TRIALS; trial++) {
      up.reset();
      down.reset();
      // A fresh client per trial: its pools start empty, as a CLI command's do.
      const client = new RegistryClient({ credentials: staticCredentials({}) });
      try {
        const r = await copy(`${up.host}/${repo}:1`, `${down.host}/${repo}-p${trial}:1`, { client, mountCandidates: [`${repo}-held`] });
        expect(r.blobs.mounted).toBe(image.layers.length + 1);
        expect(r.bytes).toBe(0);
      } finally {
        await client.close();
      }
      const source = up.requests.filter((q) => q.path.startsWith(`/v2/${repo}/manifests/`));
      expect(source.map((q) => q.method)).toEqual(['HEAD', 'GET']);
      // Without waiting for the pool to take the HEAD's connection back, the GET opened a second one.
      expect(ports(up.requests)).toBe(1);
      // A named holder: nothing is dialled ahead for blob reads that never come.
      expect(up.connections).toHaveLength(1);
      // On the target: the tag HEAD, then the probes and mounts (two at a time at most per blob) and
      // the manifest PUT; far fewer connections than requests.
      expect(ports(down.requests)).toBeLessThan(down.requests.length);
    }
    expect((await rawGetManifest(dst.url, `${repo}-p0`, '1')).digest).toBe(image.digest);
  });

  it(`a retag HEADs the source and the new tag together, then GETs and PUTs on the connections they opened, ${TRIALS} trials`, async () => {
    const repo = uniqueRepo('retag');
    const image = buildImage({ layers: [2048] });
    await pushImage(dst.url, repo, 'latest', image);
    for (let trial = 0; trial < TRIALS; trial++) {
      down.reset();
      // HEADs answered after 100 ms, as across a link: two sent one after the other cannot overlap.
      down.addRule({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'delay', ms: 100 } });
      const client = new RegistryClient({ credentials: staticCredentials({}) });
      try {
        const r = await tag(`${down.host}/${repo}:latest`, [`v${trial}`], { client });
        expect(r.tags).toEqual([{ tag: `v${trial}`, action: 'created' }]);
      } finally {
        await client.close();
      }
      const [headSource, headNew] = ['latest', `v${trial}`].map((t) => down.requests.find((q) => q.method === 'HEAD' && q.path.endsWith(`/manifests/${t}`))!);
      expect(overlapped(headSource!, headNew!)).toBe(true);
      expect(down.requests.map((q) => q.method).sort()).toEqual(['GET', 'HEAD', 'HEAD', 'PUT']);
      // Two HEADs in flight together need two connections; the GET and the PUT reuse them.
      expect(ports(down.requests)).toBe(2);
    }
    expect((await rawGetManifest(dst.url, repo, `v${TRIALS - 1}`)).digest).toBe(image.digest);
  });

  it(`a promotion's mounts go out on connections dialled while its manifest was read, none waits for a handshake, ${TRIALS} trials`, async () => {
    const repo = uniqueRepo('preconnect');
    const image = buildImage({ layers: [4096, 4096, 8192, 8192, 16384, 16384] });
    await pushImage(src.url, repo, '1', image);
    // The cache a first promotion leaves: where each blob is held in the target, and its checked length.
    const cache = new BlobLocationCache(join(mkdtempSync(join(tmpdir(), 'regtopo-xdg-')), 'blob-locations.json'));
    await copy(`${src.host}/${repo}:1`, `${down.host}/${repo}-held:1`, { blobLocations: cache });
    for (let trial = 0; trial < TRIALS; trial++) {
      const { result: r, manifestReadEnded } = await copySlowManifest(`${up.host}/${repo}:1`, `${down.host}/${repo}-p${trial}:1`, { blobLocations: new BlobLocationCache(cache.path) });
      expect(r.blobs).toEqual({ copied: 0, mounted: image.layers.length + 1, existing: 0 });
      const mountsSent = down.requests.filter((q) => q.method === 'POST' && q.query.includes('mount='));
      expect(mountsSent).toHaveLength(image.layers.length + 1);
      // Lengths known from the cache: a mount is the blob's only request.
      expect(down.requests.filter((q) => q.method === 'HEAD' && q.path.includes('/blobs/'))).toEqual([]);
      // Without preconnect() the pool dials for the mounts once the manifest has been read and planned.
      sentOnConnectionsOpenedBefore(down, mountsSent, manifestReadEnded);
      // Never more connections than the pool may hold.
      expect(down.connections.length).toBeLessThanOrEqual(16);
      // The cache knows holders in the target registry: no connection to the source for blob reads.
      expect(up.connections).toHaveLength(1);
    }
    expect((await rawGetManifest(dst.url, `${repo}-p0`, '1')).digest).toBe(image.digest);
  });

  it(`a cold copy, nothing of it known in the target registry: the blob GETs go out on source connections dialled while its manifest was read, ${TRIALS} trials`, async () => {
    const repo = uniqueRepo('cold-dial');
    const image = buildImage({ layers: [4096, 4096, 8192, 8192, 16384] });
    await pushImage(src.url, repo, '1', image);
    for (let trial = 0; trial < TRIALS; trial++) {
      const { result: r, manifestReadEnded } = await copySlowManifest(`${up.host}/${repo}:1`, `${down.host}/${repo}-c${trial}:1`);
      expect(r.blobs).toEqual({ copied: image.layers.length + 1, mounted: 0, existing: 0 });
      const blobReads = up.requests.filter((q) => q.method === 'GET' && q.path.includes('/blobs/'));
      expect(blobReads).toHaveLength(image.layers.length + 1);
      // Without the dial, every blob read but the one on the manifest's connection waits for a handshake.
      sentOnConnectionsOpenedBefore(up, blobReads, manifestReadEnded);
      // Bounded by the copy's jobs (8, a guess from the manifest's size), and the manifest's own.
      expect(up.connections.length).toBeLessThanOrEqual(8 + 1);
    }
    expect((await rawGetManifest(dst.url, `${repo}-c0`, '1')).digest).toBe(image.digest);
  });

  it('a copy whose target is up to date: one HEAD per side, and at most one spare connection to the target', async () => {
    const repo = uniqueRepo('noop');
    const image = buildImage({ layers: [1024, 2048] });
    await pushImage(src.url, repo, '1', image);
    await pushImage(dst.url, repo, '1', image);
    const client = new RegistryClient({ credentials: staticCredentials({}) });
    try {
      const r = await copy(`${up.host}/${repo}:1`, `${down.host}/${repo}:1`, { client });
      expect(r.upToDate).toBe(true);
    } finally {
      await client.close();
    }
    expect(up.requests.map((q) => q.method)).toEqual(['HEAD']);
    expect(down.requests.map((q) => q.method)).toEqual(['HEAD']);
    expect(up.connections).toHaveLength(1);
    // The HEAD's and the spare dialled for the round after it, which an up-to-date copy never has.
    expect(down.connections.length).toBeLessThanOrEqual(2);
  });

  it('a retag onto tags that already hold the digest reads no manifest', async () => {
    const repo = uniqueRepo('retag-same');
    const image = buildImage({ layers: [1024] });
    await pushImage(dst.url, repo, 'latest', image);
    await pushImage(dst.url, repo, 'stable', image);
    const client = new RegistryClient({ credentials: staticCredentials({}) });
    try {
      const r = await tag(`${down.host}/${repo}:latest`, ['stable', 'stable'], { client });
      // A tag named twice is one tag.
      expect(r.tags).toEqual([{ tag: 'stable', action: 'unchanged' }]);
      expect(r.digest).toBe(image.digest);
    } finally {
      await client.close();
    }
    expect(down.requests.map((q) => q.method)).toEqual(['HEAD', 'HEAD']);
  });
});
