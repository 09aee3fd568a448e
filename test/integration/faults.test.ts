import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError, RegistryError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { Reference } from '../../src/ref/reference.js';
import { BLOB_GET_PATH, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { proxiedRegistryPair, type ProxiedRegistryPair } from '../support/proxied-registry-pair.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason('htpasswd');
if (skip) console.warn(`skipping fault tests: ${skip}`);

describe.skipIf(skip)('copy under faults injected in front of a real registry', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  const retryFast = { baseDelayMs: 20, maxDelayMs: 100 };

  let pair: ProxiedRegistryPair | undefined;

  beforeAll(async () => {
    pair = await proxiedRegistryPair({ front: 'src', retry: retryFast });
    ({ src, dst, proxy, client } = pair);
  });
  afterAll(async () => {
    await pair?.stop();
  });
  beforeEach(() => proxy.reset());

  async function seed(layers = [40_000, 50_000]) {
    const repo = uniqueRepo('fault');
    const built = buildImage({ layers });
    await pushImage(src.url, repo, 'v1', built);
    return { repo, built };
  }

  it('refuses a blob whose bytes do not match its digest and stores nothing', async () => {
    const { repo, built } = await seed();
    const bad = built.layers[1]!;
    proxy.addRule({ method: 'GET', path: new RegExp(`/blobs/${bad.digest}$`), fault: { kind: 'corruptBody' } });
    const err = await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegtopoError);
    expect((err as RegtopoError).code).toBe('E_DIGEST_MISMATCH');
    expect((err as Error).message).toContain(bad.digest);
    const target = client.repository(Reference.parse(`${dst.host}/${repo}`));
    expect(await target.hasBlob(bad)).toBe(false);
    expect((await rawGetManifest(dst.url, repo, 'v1')).status).toBe(404);
  });

  it('honours Retry-After on 429 (seconds) and then succeeds', async () => {
    const { repo, built } = await seed();
    proxy.addRule({ method: 'GET', path: /\/manifests\//, times: 1, fault: { kind: 'status', status: 429, retryAfter: 1 } });
    const started = Date.now();
    const r = await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(r.digest).toBe(built.digest);
    expect(proxy.requests.filter((q) => q.method === 'GET' && q.path.includes('/manifests/')).map((q) => q.status)).toEqual([429, 200]);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { repo } = await seed();
    proxy.addRule({ method: 'HEAD', path: /\/manifests\//, times: 1, fault: { kind: 'status', status: 503, retryAfter: new Date(Date.now() + 1500) } });
    const started = Date.now();
    await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(2);
  });

  it('gives up after bounded attempts with the status, method and redacted URL', async () => {
    const { repo } = await seed();
    proxy.addRule({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 503 } });
    const err = (await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client }).catch((e: unknown) => e)) as RegistryError;
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.status).toBe(503);
    expect(err.method).toBe('HEAD');
    expect(err.url).toBe(`http://${proxy.host}/v2/${repo}/manifests/v1`);
    expect(err.retryable).toBe(true);
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(4);
  });

  it('does not wait out a Retry-After longer than the configured ceiling', async () => {
    const { repo } = await seed();
    const impatient = new RegistryClient({ credentials: staticCredentials({}), retry: { ...retryFast, maxRetryAfterMs: 500 } });
    proxy.addRule({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 429, retryAfter: 3600 } });
    const started = Date.now();
    const err = (await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client: impatient }).catch((e: unknown) => e)) as RegtopoError;
    await impatient.close();
    expect(err.code).toBe('E_RATE_LIMITED');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(proxy.count('HEAD', /\/manifests\//)).toBe(1);
  });

  it('re-opens the source when a download drops mid-body', async () => {
    const { repo, built } = await seed([200_000]);
    const layer = built.layers[0]!;
    proxy.addRule({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: 1, fault: { kind: 'dropMidBody', afterBytes: 70_000 } });
    const r = await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(built.digest);
    expect(proxy.count('GET', new RegExp(`/blobs/${layer.digest}$`))).toBe(2);
    expect(await client.repository(Reference.parse(`${dst.host}/${repo}`)).hasBlob(layer)).toBe(true);
  });

  it('gives up on a body that stalls on a live connection and fetches it again', async () => {
    const { repo, built } = await seed([150_000]);
    const layer = built.layers[0]!;
    const patient = new RegistryClient({ credentials: staticCredentials({}), retry: retryFast, timeouts: { bodyMs: 500 } });
    proxy.addRule({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: 1, fault: { kind: 'stallBody', afterBytes: 40_000 } });
    try {
      const r = await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client: patient });
      expect(r.digest).toBe(built.digest);
      expect(proxy.count('GET', new RegExp(`/blobs/${layer.digest}$`))).toBe(2);
    } finally {
      await patient.close();
    }
  });

  it('retries dropped connections before any response', async () => {
    const { repo, built } = await seed();
    proxy.addRule({ method: 'GET', path: /\/manifests\//, times: 2, fault: { kind: 'drop' } });
    const r = await copy(`${proxy.host}/${repo}:v1`, `${dst.host}/${repo}:v1`, { client });
    expect(r.digest).toBe(built.digest);
    expect(proxy.count('GET', /\/manifests\//)).toBe(3);
  });

  it('restarts an upload in a fresh session when the target fails mid-push', async () => {
    const { repo, built } = await seed([30_000]);
    const target = await startFaultProxy(dst.url);
    try {
      target.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, times: 1, fault: { kind: 'status', status: 500 } });
      const r = await copy(`${src.host}/${repo}:v1`, `${target.host}/${repo}:v1`, { client });
      expect(r.digest).toBe(built.digest);
      expect(target.count('POST', /\/blobs\/uploads\/$/)).toBe(3); // 2 blobs + 1 retry
      expect(target.count('DELETE', /\/blobs\/uploads\//)).toBe(1); // the failed session was cancelled
    } finally {
      await target.stop();
    }
  });

  it('never sends Authorization to a storage host a blob download is redirected to', async () => {
    const secured = await startTestRegistry('htpasswd');
    const front = await startFaultProxy(secured.url);
    const creds = new RegistryClient({ credentials: staticCredentials({ [front.host]: { username: secured.username!, password: secured.password! } }), retry: retryFast });
    try {
      const repo = uniqueRepo('redirect');
      const built = buildImage({ layers: [10_000, 20_000] });
      await pushImage(secured.url, repo, 'v1', built, { auth: { username: secured.username!, password: secured.password! } });
      front.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'redirectToStorage' } });
      const r = await copy(`${front.host}/${repo}:v1`, `${dst.host}/${repo}-r:v1`, { client: creds });
      expect(r.digest).toBe(built.digest);
      const redirected = front.requests.filter((q) => q.fault === 'redirectToStorage');
      expect(redirected).toHaveLength(3);
      expect(redirected.every((q) => q.hadAuthorization)).toBe(true);
      expect(front.storage.requests).toHaveLength(3);
      expect(front.storage.requests.every((q) => !q.hadAuthorization)).toBe(true);
      expect(front.storage.host).not.toBe(front.host);
    } finally {
      await creds.close();
      await front.stop();
      await secured.stop();
    }
  });
});
