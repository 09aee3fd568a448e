/**
 * Upload sessions that go wrong underneath a push: a session the registry no longer knows (404
 * BLOB_UPLOAD_UNKNOWN / BLOB_UPLOAD_INVALID, as after a restart or behind a load balancer without
 * shared upload state) is replaced by a new one with a re-read source, and a token that dies
 * mid-push is renewed without re-sending a consumed body. Real Distribution registries; the fault
 * proxy only injects the answers and the timing a registry cannot produce on demand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegistryError } from '../../src/errors.js';
import { startLocalRegistry } from '../../src/demo/local-registry.js';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { proxiedRegistryPair, type ProxiedRegistryPair } from '../support/proxied-registry-pair.js';
import { buildImage, pushImage, rawGetBlob, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason('token');

const UPLOAD_SESSION = /\/blobs\/uploads\/[^/]+$/;
const UPLOAD_START = /\/blobs\/uploads\/$/;
const retryFast = { baseDelayMs: 10, maxDelayMs: 40 };

describe.skipIf(skip)('stale upload sessions', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;

  let pair: ProxiedRegistryPair | undefined;

  beforeAll(async () => {
    pair = await proxiedRegistryPair({ front: 'dst', retry: retryFast });
    ({ src, dst, proxy, client } = pair);
  });
  afterAll(async () => {
    await pair?.stop();
  });
  beforeEach(() => proxy.reset());

  it.each(['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID'])('a PUT answered 404 %s starts a new session, re-reads the source and lands byte-exact', async (code) => {
    const repo = uniqueRepo('stale');
    const built = buildImage({ layers: [300_000] });
    await pushImage(src.url, repo, 'v1', built);
    proxy.addRule({ method: 'PUT', path: UPLOAD_SESSION, times: 1, fault: { kind: 'status', status: 404, code } });
    const r = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(built.digest);
    const puts = proxy.requests.filter((q) => q.method === 'PUT' && UPLOAD_SESSION.test(q.path)).map((q) => q.status);
    expect(puts.sort()).toEqual([201, 201, 404]);
    expect(proxy.count('POST', UPLOAD_START)).toBe(3); // two blobs, one fresh session
    expect(proxy.count('DELETE', UPLOAD_SESSION)).toBe(0); // a session the registry forgot needs no cancel
    for (const blob of [built.config, ...built.layers]) expect((await rawGetBlob(dst.url, repo, blob.digest)).equals(blob.bytes)).toBe(true);
    expect((await rawGetManifest(dst.url, repo, 'v1')).bytes.equals(built.manifest)).toBe(true);
  });

  it('a session that stays unknown fails after the attempt budget with the registry error', async () => {
    const repo = uniqueRepo('stale');
    const built = buildImage({ layers: [] });
    await pushImage(src.url, repo, 'v1', built);
    proxy.addRule({ method: 'PUT', path: UPLOAD_SESSION, fault: { kind: 'status', status: 404, code: 'BLOB_UPLOAD_UNKNOWN' } });
    const err = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).hasSpecCode('BLOB_UPLOAD_UNKNOWN')).toBe(true);
    expect(proxy.count('PUT', UPLOAD_SESSION)).toBe(4);
  });

  it('a registry restarted (upload state lost) between POST and PUT: the copy succeeds byte-exact', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'regtopo-restart-'));
    let reg = await startLocalRegistry({ dataDir });
    const port = Number(reg.host.split(':')[1]);
    const front = await startFaultProxy(reg.url);
    try {
      const repo = uniqueRepo('restart');
      const built = buildImage({ layers: [200_000] });
      await pushImage(src.url, repo, 'v1', built);
      let release!: () => void;
      const restarted = new Promise<void>((resolve) => (release = resolve));
      // Hold the first blob PUT at the proxy until the registry behind it has restarted.
      const held = front.addRule({ method: 'PUT', path: UPLOAD_SESSION, times: 1, fault: { kind: 'delay', until: restarted } });
      // One transfer at a time, so no other blob needs the registry while it is down.
      const copying = copy(`${src.host}/${repo}:v1`, `${front.host}/${repo}:v1`, { client, jobs: 1 });
      while (held.hits === 0) await new Promise((r) => setTimeout(r, 10));
      await reg.stop();
      // What a restart without shared upload state loses (another replica, a wiped scratch dir).
      await rm(join(dataDir, 'docker/registry/v2/repositories', repo, '_uploads'), { recursive: true, force: true });
      reg = await startLocalRegistry({ dataDir, port });
      release();
      const r = await copying;
      expect(r.digest).toBe(built.digest);
      const statuses = front.requests.filter((q) => q.method === 'PUT' && UPLOAD_SESSION.test(q.path)).map((q) => q.status);
      expect(statuses).toContain(404);
      for (const blob of [built.config, ...built.layers]) expect((await rawGetBlob(reg.url, repo, blob.digest)).equals(blob.bytes)).toBe(true);
      expect((await rawGetManifest(reg.url, repo, 'v1')).bytes.equals(built.manifest)).toBe(true);
    } finally {
      await front.stop();
      await reg.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skip)('re-authentication mid-push', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;

  let pair: ProxiedRegistryPair | undefined;

  beforeAll(async () => {
    pair = await proxiedRegistryPair({ front: 'dst', dstVariant: 'token' });
    ({ src, dst, proxy } = pair);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('a token that expires during a blob PUT is renewed and the body re-opened, not re-sent consumed', async () => {
    const tokens = dst.tokenServer!;
    const repo = uniqueRepo('reauth');
    const built = buildImage({ layers: [150_000] });
    const layer = built.layers[0]!;
    await pushImage(src.url, repo, 'v1', built);
    const srcProxy = await startFaultProxy(src.url);
    const client = new RegistryClient({ credentials: staticCredentials({ [proxy.host]: { username: dst.username!, password: dst.password! } }), retry: retryFast });
    // The client caches the token for expires_in (300 s); the registry stops accepting it ~2 s in.
    tokens.expiryOffsetSeconds = -(tokens.ttlSeconds + 58);
    try {
      const waited = new Promise<void>((resolve) => setTimeout(() => {
        tokens.expiryOffsetSeconds = 0;
        resolve();
      }, 3_500));
      proxy.addRule({ method: 'PUT', path: UPLOAD_SESSION, times: 1, fault: { kind: 'delay', until: waited } });
      const r = await copy(`${srcProxy.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client });
      expect(r.digest).toBe(built.digest);
      const puts = proxy.requests.filter((q) => q.method === 'PUT' && UPLOAD_SESSION.test(q.path));
      expect(puts.map((q) => q.status)).toContain(401);
      expect(puts.filter((q) => q.status === 201)).toHaveLength(2);
      // One upload session per blob: the 401 was answered inside the same session, with a fresh body.
      expect(proxy.count('POST', UPLOAD_START)).toBe(2);
      const heldBlob = [built.config, layer].find((b) => srcProxy.count('GET', new RegExp(`/blobs/${b.digest}$`)) === 2);
      expect(heldBlob).toBeDefined();
      const auth = { username: dst.username!, password: dst.password! };
      for (const blob of [built.config, layer]) expect((await rawGetBlob(dst.url, repo, blob.digest, { auth })).equals(blob.bytes)).toBe(true);
      expect((await rawGetManifest(dst.url, repo, 'v1', { auth })).bytes.equals(built.manifest)).toBe(true);
    } finally {
      tokens.expiryOffsetSeconds = 0;
      await client.close();
      await srcProxy.stop();
    }
  });
});
