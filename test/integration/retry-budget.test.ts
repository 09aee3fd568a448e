/**
 * One retry mechanism, one attempt budget per operation: a blob upload or a manifest PUT that keeps
 * failing costs exactly `attempts` requests (not attempts × attempts), and the client's own retry
 * options and user agent reach the upload requests. Counted in the fault proxy's log in front of a
 * real registry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegistryError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { DEFAULT_RETRY } from '../../src/transport/retry.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { proxiedRegistryPair, type ProxiedRegistryPair } from '../support/proxied-registry-pair.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason('plain');

const UPLOADS = /\/blobs\/uploads\//;
const UPLOAD_START = /\/blobs\/uploads\/$/;
const MANIFESTS = /\/manifests\//;

describe.skipIf(skip)('retry budget: one attempt budget per operation', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  const retryFast = { baseDelayMs: 10, maxDelayMs: 40 };

  let pair: ProxiedRegistryPair | undefined;

  beforeAll(async () => {
    pair = await proxiedRegistryPair({ front: 'dst', retry: retryFast });
    ({ src, dst, proxy, client } = pair);
  });
  afterAll(async () => {
    await pair?.stop();
  });
  beforeEach(() => proxy.reset());

  /** A zero-layer image: one blob (its config) and one manifest, so counts are per operation. */
  async function seed() {
    const repo = uniqueRepo('budget');
    const built = buildImage({ layers: [] });
    await pushImage(src.url, repo, 'v1', built);
    return { repo, built };
  }

  const puts = () => proxy.count('PUT', UPLOADS);

  it('a persistent 503 on blob PUT costs exactly `attempts` PUTs (default 4), each in its own cancelled session', async () => {
    const { repo } = await seed();
    proxy.addRule({ method: 'PUT', path: UPLOADS, fault: { kind: 'status', status: 503 } });
    const err = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(503);
    expect(DEFAULT_RETRY.attempts).toBe(4);
    expect(puts()).toBe(4);
    expect(proxy.count('POST', UPLOAD_START)).toBe(4);
    expect(proxy.count('DELETE', UPLOADS)).toBe(4);
  });

  it('a persistent 503 on starting an upload session costs exactly `attempts` POSTs', async () => {
    const { repo } = await seed();
    proxy.addRule({ method: 'POST', path: UPLOAD_START, fault: { kind: 'status', status: 503 } });
    const err = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client }).catch((e: unknown) => e);
    expect((err as RegistryError).status).toBe(503);
    expect(proxy.count('POST', UPLOAD_START)).toBe(4);
    expect(puts()).toBe(0);
  });

  it('a persistent 503 on manifest PUT costs exactly `attempts` PUTs', async () => {
    const { repo } = await seed();
    proxy.addRule({ method: 'PUT', path: MANIFESTS, fault: { kind: 'status', status: 503 } });
    const err = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client }).catch((e: unknown) => e);
    expect((err as RegistryError).status).toBe(503);
    expect((err as RegistryError).method).toBe('PUT');
    expect(proxy.count('PUT', MANIFESTS)).toBe(4);
  });

  it('a manifest refused as MANIFEST_BLOB_UNKNOWN (a blob commit race) is retried within the same budget', async () => {
    const { repo } = await seed();
    proxy.addRule({ method: 'PUT', path: MANIFESTS, fault: { kind: 'status', status: 400, code: 'MANIFEST_BLOB_UNKNOWN' } });
    const err = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client }).catch((e: unknown) => e);
    expect((err as RegistryError).hasSpecCode('MANIFEST_BLOB_UNKNOWN')).toBe(true);
    expect(proxy.count('PUT', MANIFESTS)).toBe(4);
  });

  it('a transient 503 on blob PUT is retried once and the copy succeeds', async () => {
    const { repo, built } = await seed();
    proxy.addRule({ method: 'PUT', path: UPLOADS, times: 1, fault: { kind: 'status', status: 503 } });
    const r = await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(built.digest);
    expect(puts()).toBe(2);
    expect((await rawGetManifest(dst.url, repo, 'v1')).digest).toBe(built.digest);
  });

  it("the client's retry options and user agent reach every upload and manifest request", async () => {
    const { repo } = await seed();
    const custom = new RegistryClient({ credentials: staticCredentials({}), retry: { ...retryFast, attempts: 2 }, userAgent: 'budget-test/1.0' });
    try {
      proxy.addRule({ method: 'PUT', path: UPLOADS, fault: { kind: 'status', status: 503 } });
      await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client: custom }).catch(() => undefined);
      expect(puts()).toBe(2);
      expect(proxy.count('POST', UPLOAD_START)).toBe(2);
      proxy.reset();
      proxy.addRule({ method: 'PUT', path: MANIFESTS, fault: { kind: 'status', status: 503 } });
      await copy(`${src.host}/${repo}:v1`, `${proxy.host}/${repo}:v1`, { client: custom }).catch(() => undefined);
      expect(proxy.count('PUT', MANIFESTS)).toBe(2);
      proxy.reset();
      const { repo: fresh } = await seed();
      await copy(`${src.host}/${fresh}:v1`, `${proxy.host}/${fresh}:v1`, { client: custom });
      const seen = proxy.requests.map((r) => `${r.method} ${r.userAgent}`);
      expect(seen.filter((s) => s.startsWith('PUT')).length).toBeGreaterThanOrEqual(2);
      expect(seen.filter((s) => s.startsWith('POST')).length).toBeGreaterThanOrEqual(1);
      expect(proxy.requests.every((r) => r.userAgent === 'budget-test/1.0')).toBe(true);
    } finally {
      await custom.close();
    }
  });
});
