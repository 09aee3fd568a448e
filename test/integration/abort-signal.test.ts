/**
 * The library's AbortSignal, as undici takes one: every entry point accepts `signal`, an aborted
 * operation rejects with E_INTERRUPTED promptly (retry waits included), and by the time copy()
 * rejects its open upload sessions are cancelled and its temp files removed.
 */
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { inspect } from '../../src/ops/inspect.js';
import { listTags } from '../../src/ops/list-tags.js';
import { tag } from '../../src/ops/tag.js';
import { Reference } from '../../src/ref/reference.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { BLOB_GET_PATH, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason('plain');
const UPLOADS = /\/blobs\/uploads\//;

function code(err: unknown): string | undefined {
  return err instanceof RegtopoError ? err.code : undefined;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe.skipIf(skip)('AbortSignal on the library entry points', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let srcProxy: FaultProxy;
  let dstProxy: FaultProxy;
  let client: RegistryClient;
  const repo = uniqueRepo('abort');
  const built = buildImage({ layers: [2 << 20, 2 << 20, 2 << 20] });

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    client = new RegistryClient({ credentials: staticCredentials({}) });
    await pushImage(src.url, repo, 'v1', built);
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([srcProxy?.stop(), dstProxy?.stop()]);
    await Promise.all([src?.stop(), dst?.stop()]);
  });
  beforeEach(() => {
    srcProxy.reset();
    dstProxy.reset();
  });

  it('an aborted copy rejects with E_INTERRUPTED after cancelling every open upload session', async () => {
    srcProxy.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'slowBody', bytesPerSecond: 256 << 10 } });
    const controller = new AbortController();
    const copying = copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client, signal: controller.signal }).catch((e: unknown) => e);
    await until(() => dstProxy.count('PUT', UPLOADS) >= built.layers.length + 1);
    await new Promise((r) => setTimeout(r, 200));
    const abortedAt = performance.now();
    controller.abort();
    const err = await copying;
    const tookMs = performance.now() - abortedAt;
    expect(code(err)).toBe('E_INTERRUPTED');
    expect(tookMs).toBeLessThan(2_000);
    const finished = dstProxy.requests.filter((q) => q.method === 'PUT' && UPLOADS.test(q.path) && q.status === 201).length;
    const opened = dstProxy.requests.filter((q) => q.method === 'POST' && q.status === 202).length;
    // Counted right after copy() settled: the cancels happened before it returned, not after.
    expect(dstProxy.count('DELETE', UPLOADS)).toBe(opened - finished);
    expect(opened - finished).toBe(built.layers.length);
    expect((await rawGetManifest(dst.url, repo, 'v1')).status).toBe(404);
  });

  it('an aborted copy into an OCI layout leaves no temp file', async () => {
    srcProxy.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'slowBody', bytesPerSecond: 256 << 10 } });
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-abort-oci-'));
    const controller = new AbortController();
    const copying = copy(`${srcProxy.host}/${repo}:v1`, `oci:${dir}:v1`, { client, signal: controller.signal }).catch((e: unknown) => e);
    await until(() => srcProxy.count('GET', BLOB_GET_PATH) >= built.layers.length + 1);
    await new Promise((r) => setTimeout(r, 300));
    const during = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.tmp'));
    expect(during.length).toBeGreaterThanOrEqual(built.layers.length);
    controller.abort();
    expect(code(await copying)).toBe('E_INTERRUPTED');
    expect((await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an already aborted signal sends nothing', async () => {
    const signal = AbortSignal.abort();
    const results = await Promise.all([
      copy(`${srcProxy.host}/${repo}:v1`, `${dstProxy.host}/${repo}:v1`, { client, signal }).catch((e: unknown) => e),
      tag(`${dstProxy.host}/${repo}:v1`, ['other'], { client, signal }).catch((e: unknown) => e),
      inspect(`${srcProxy.host}/${repo}:v1`, { client, signal }).catch((e: unknown) => e),
      listTags(`${srcProxy.host}/${repo}`, { client, signal }).catch((e: unknown) => e),
      client.repository(Reference.parse(`${srcProxy.host}/${repo}`), { signal }).headManifest('v1').catch((e: unknown) => e),
    ]);
    expect(results.map(code)).toEqual(['E_INTERRUPTED', 'E_INTERRUPTED', 'E_INTERRUPTED', 'E_INTERRUPTED', 'E_INTERRUPTED']);
    expect(srcProxy.requests).toHaveLength(0);
    expect(dstProxy.requests).toHaveLength(0);
  });

  it('a retry wait (a 30 s Retry-After) ends when the signal fires', async () => {
    srcProxy.addRule({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 503, retryAfter: 30 } });
    const controller = new AbortController();
    const store = client.repository(Reference.parse(`${srcProxy.host}/${repo}`), { signal: controller.signal });
    const started = performance.now();
    setTimeout(() => controller.abort(), 300);
    const err = await store.headManifest('v1').catch((e: unknown) => e);
    expect(code(err)).toBe('E_INTERRUPTED');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(srcProxy.count('HEAD', /\/manifests\//)).toBe(1);
  });
});
