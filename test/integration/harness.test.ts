/**
 * Proves the test harness itself against the real registry: every registry flavour starts and
 * challenges as expected, seeding round-trips byte for byte (checked also with skopeo), and each
 * fault-proxy rule does what other suites will rely on it to do.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Client, request } from 'undici';
import { startLocalRegistry } from '../../src/demo/local-registry.js';
import { isRegtopoError } from '../../src/errors.js';
import { BLOB_GET_PATH, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  buildArtifact,
  buildImage,
  buildIndex,
  buildZeroLayerImage,
  pushImage,
  rawGetBlob,
  rawGetManifest,
  sha256,
  uniqueRepo,
  type BuiltImage,
} from '../support/images.js';
import { registrySkipReason, startTestRegistry, TOKEN_SERVICE, type TestRegistry } from '../support/registry.js';
import { skopeoCopy, skopeoInspectRaw } from '../support/skopeo.js';

const MANIFEST_ACCEPT =
  'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, ' +
  'application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function get(url: string, headers: Record<string, string> = {}, dispatcher?: Agent) {
  const res = await request(url, { headers, dispatcher });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.code) codes.push(e.code);
  return codes;
}

describe.skipIf(registrySkipReason('plain'))('plain registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startTestRegistry('plain');
  });
  afterAll(() => reg?.stop());

  it('answers /v2/ with 200', async () => {
    expect((await get(`${reg.url}/v2/`)).status).toBe(200);
  });

  it.each(['oci', 'docker'] as const)('round-trips a %s image byte for byte, with skopeo agreeing', async (flavour) => {
    const repo = uniqueRepo();
    const image = buildImage({ layers: [1000, 2000], mediaTypeFlavour: flavour, labels: { a: 'b' } });
    expect(image.manifest.toString()).toMatch(/^\{\n {3}"schemaVersion": 2,\n[\s\S]*\}\n$/);
    expect(await pushImage(reg.url, repo, 'v1', image)).toBe(image.digest);

    const got = await rawGetManifest(reg.url, repo, 'v1');
    expect(got.status).toBe(200);
    expect(got.bytes.equals(image.manifest)).toBe(true);
    expect(got.digest).toBe(image.digest);
    expect(got.mediaType).toBe(image.mediaType);
    expect((await rawGetBlob(reg.url, repo, image.layers[1]!.digest)).equals(image.layers[1]!.bytes)).toBe(true);

    expect((await skopeoInspectRaw(`${reg.host}/${repo}:v1`)).equals(image.manifest)).toBe(true);
  });

  it('pushes indexes (children first), artifacts with a subject and zero-layer images', async () => {
    const repo = uniqueRepo();
    const amd = buildImage({ platform: { os: 'linux', architecture: 'amd64' } });
    const arm = buildImage({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    for (const flavour of ['oci', 'docker'] as const) {
      const index = buildIndex([amd, arm], flavour);
      await pushImage(reg.url, repo, `multi-${flavour}`, index);
      const got = await rawGetManifest(reg.url, repo, `multi-${flavour}`);
      expect(got.bytes.equals(index.manifest)).toBe(true);
      expect(JSON.parse(got.bytes.toString()).manifests[1].platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    }
    const artifact = buildArtifact({ subject: amd.descriptor, artifactType: 'application/vnd.example.sbom' });
    expect(artifact.config.bytes.toString()).toBe('{}');
    await pushImage(reg.url, repo, undefined, artifact);
    expect((await rawGetManifest(reg.url, repo, artifact.digest)).bytes.equals(artifact.manifest)).toBe(true);

    const empty = buildZeroLayerImage('docker');
    await pushImage(reg.url, repo, 'empty', empty);
    expect((await rawGetManifest(reg.url, repo, 'empty')).digest).toBe(empty.digest);
  });

  it('skopeoCopy copies a whole index without changing digests', async () => {
    const src = uniqueRepo();
    const dst = uniqueRepo();
    const index = buildIndex([buildImage({ platform: { os: 'linux', architecture: 'amd64' } }), buildImage({ platform: { os: 'linux', architecture: 'arm64' } })]);
    await pushImage(reg.url, src, 'v1', index);
    await skopeoCopy(`${reg.host}/${src}:v1`, `${reg.host}/${dst}:v1`);
    expect((await rawGetManifest(reg.url, dst, 'v1')).digest).toBe(index.digest);
  });

  describe('fault proxy', () => {
    let proxy: FaultProxy;
    let repo: string;
    let image: BuiltImage;
    const manifestPath = /\/manifests\//;
    beforeAll(async () => {
      proxy = await startFaultProxy(reg.url);
      repo = uniqueRepo();
      image = buildImage({ layers: [256 * 1024] });
      await pushImage(reg.url, repo, 'v1', image);
    });
    afterAll(() => proxy?.stop());

    it('passes through, keeps connections alive and keeps uploads on the proxy', async () => {
      proxy.reset();
      const other = uniqueRepo();
      await pushImage(proxy.url, other, 'v1', image);
      expect(proxy.count('POST', /\/blobs\/uploads\/$/)).toBe(2);
      expect(proxy.count('PUT', /\/blobs\/uploads\//)).toBe(2);
      const got = await rawGetManifest(proxy.url, other, 'v1');
      expect(got.bytes.equals(image.manifest)).toBe(true);

      const client = new Client(proxy.url);
      for (let i = 0; i < 3; i++) await (await client.request({ path: '/v2/', method: 'GET' })).body.dump();
      await client.close();
      const ports = proxy.requests.slice(-3).map((r) => r.clientPort);
      expect(new Set(ports).size).toBe(1);
    });

    it('answers 429 with Retry-After, then passes through; count sees both', async () => {
      proxy.reset();
      const rule = proxy.addRule({ method: 'GET', path: manifestPath, times: 1, fault: { kind: 'status', status: 429, retryAfter: 2 } });
      const url = `${proxy.url}/v2/${repo}/manifests/v1`;
      const first = await get(url, { accept: MANIFEST_ACCEPT });
      expect(first.status).toBe(429);
      expect(first.headers['retry-after']).toBe('2');
      expect(JSON.parse(first.body.toString()).errors[0].code).toBe('TOOMANYREQUESTS');
      const second = await get(url, { accept: MANIFEST_ACCEPT });
      expect(second.status).toBe(200);
      expect(second.body.equals(image.manifest)).toBe(true);
      expect(rule.hits).toBe(1);
      expect(proxy.count('GET', manifestPath)).toBe(2);
      expect(proxy.requests.map((r) => r.status)).toEqual([429, 200]);

      const when = new Date(Date.now() + 30_000);
      proxy.addRule({ path: manifestPath, times: 1, fault: { kind: 'status', status: 503, retryAfter: when } });
      const third = await get(url, { accept: MANIFEST_ACCEPT });
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe(when.toUTCString());
    });

    it('adds extra headers to every response', async () => {
      proxy.reset();
      proxy.extraHeaders = { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '99;w=21600' };
      const res = await get(`${proxy.url}/v2/`);
      expect(res.headers['ratelimit-remaining']).toBe('99;w=21600');
      proxy.addRule({ path: /^\/v2\/$/, times: 1, fault: { kind: 'status', status: 500 } });
      expect((await get(`${proxy.url}/v2/`)).headers['ratelimit-limit']).toBe('100;w=21600');
    });

    it('drops the connection before responding', async () => {
      proxy.reset();
      proxy.addRule({ method: 'GET', path: manifestPath, times: 1, fault: { kind: 'drop' } });
      const err = await get(`${proxy.url}/v2/${repo}/manifests/v1`, { accept: MANIFEST_ACCEPT }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(errorCodes(err).some((c) => ['UND_ERR_SOCKET', 'ECONNRESET'].includes(c))).toBe(true);
      expect(proxy.requests[0]).toMatchObject({ status: 0, fault: 'drop' });
      expect((await get(`${proxy.url}/v2/${repo}/manifests/v1`, { accept: MANIFEST_ACCEPT })).status).toBe(200);
    });

    it('can drop the answer after the registry acted on the request', async () => {
      proxy.reset();
      const other = uniqueRepo();
      const fresh = buildImage();
      await pushImage(reg.url, other, 'v1', image);
      proxy.addRule({ method: 'PUT', path: manifestPath, times: 1, fault: { kind: 'drop', afterUpstream: true } });
      const err = await pushImage(proxy.url, other, 'v2', fresh).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((await rawGetManifest(reg.url, other, 'v2')).digest).toBe(fresh.digest);
    });

    it('drops the connection mid-body after N bytes', async () => {
      proxy.reset();
      const layer = image.layers[0]!;
      proxy.addRule({ method: 'GET', path: BLOB_GET_PATH, times: 1, fault: { kind: 'dropMidBody', afterBytes: 1000 } });
      const res = await request(`${proxy.url}/v2/${repo}/blobs/${layer.digest}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBe(String(layer.size));
      let received = 0;
      const err = await (async () => {
        for await (const chunk of res.body) received += (chunk as Buffer).length;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(received).toBe(1000);
    });

    it('corrupts one byte and keeps the headers', async () => {
      proxy.reset();
      proxy.addRule({ method: 'GET', path: manifestPath, times: 1, fault: { kind: 'corruptBody' } });
      const res = await get(`${proxy.url}/v2/${repo}/manifests/v1`, { accept: MANIFEST_ACCEPT });
      expect(res.status).toBe(200);
      expect(res.headers['docker-content-digest']).toBe(image.digest);
      expect(res.headers['content-length']).toBe(String(image.size));
      expect(res.body.length).toBe(image.size);
      expect(res.body.equals(image.manifest)).toBe(false);
      expect(sha256(res.body)).not.toBe(image.digest);
      const diff = [...res.body].filter((b, i) => b !== image.manifest[i]).length;
      expect(diff).toBe(1);
    });

    it('slows a body down', async () => {
      proxy.reset();
      proxy.addRule({ method: 'GET', path: manifestPath, times: 1, fault: { kind: 'slowBody', bytesPerSecond: 2_000 } });
      const started = Date.now();
      const res = await get(`${proxy.url}/v2/${repo}/manifests/v1`, { accept: MANIFEST_ACCEPT });
      expect(res.body.equals(image.manifest)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual((image.size / 2_000) * 1000 * 0.8);
    });

    it('redirects blob GETs to a storage server on another host, which records Authorization', async () => {
      proxy.reset();
      const layer = image.layers[0]!;
      proxy.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'redirectToStorage' } });
      const res = await request(`${proxy.url}/v2/${repo}/blobs/${layer.digest}`, { headers: { authorization: 'Bearer secret' } });
      await res.body.dump();
      expect(res.statusCode).toBe(307);
      const location = new URL(String(res.headers.location));
      expect(location.host).toBe(proxy.storage.host);
      expect(location.hostname).not.toBe('127.0.0.1');
      expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[a-f0-9]{32}$/);

      const clean = await get(location.toString());
      expect(clean.status).toBe(200);
      expect(createHash('sha256').update(clean.body).digest('hex')).toBe(layer.digest.slice(7));
      const leaky = await get(location.toString(), { authorization: 'Bearer secret', range: 'bytes=0-9' });
      expect(leaky.status).toBe(206);
      expect(leaky.body.equals(layer.bytes.subarray(0, 10))).toBe(true);
      expect(proxy.storage.requests.map((r) => r.hadAuthorization)).toEqual([false, true]);
      expect((await get(`${proxy.storage.url}/storage/x?X-Amz-Signature=forged`)).status).toBe(403);
    });
  });
});

describe.skipIf(registrySkipReason('htpasswd'))('htpasswd registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startTestRegistry('htpasswd');
  });
  afterAll(() => reg?.stop());

  it('challenges anonymous callers with Basic and admits the user', async () => {
    const anon = await get(`${reg.url}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers['www-authenticate']).toBe('Basic realm="basic-realm"');
    expect((await get(`${reg.url}/v2/`, { authorization: basic(reg.username!, reg.password!) })).status).toBe(200);
    expect((await get(`${reg.url}/v2/`, { authorization: basic(reg.username!, 'wrong') })).status).toBe(401);
  });

  it('seeds and reads back with credentials', async () => {
    const repo = uniqueRepo();
    const image = buildImage();
    const auth = { username: reg.username!, password: reg.password! };
    await pushImage(reg.url, repo, 'v1', image, { auth });
    expect((await rawGetManifest(reg.url, repo, 'v1', { auth })).bytes.equals(image.manifest)).toBe(true);
    expect((await skopeoInspectRaw(`${reg.host}/${repo}:v1`, { creds: auth })).equals(image.manifest)).toBe(true);
  });
});

describe.skipIf(registrySkipReason('token'))('token registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startTestRegistry('token', {
      tokenAnonymous: [{ repo: 'public/**', actions: ['pull'] }],
      tokenUsers: { bob: { password: 'bob-pw', refreshToken: 'bob-identity-token', grants: [{ repo: 'bob/*', actions: ['pull'] }] } },
    });
  });
  afterAll(() => reg?.stop());

  async function token(scopes: string[], creds?: [string, string]): Promise<{ status: number; token?: string }> {
    const url = new URL(reg.tokenServer!.realm);
    url.searchParams.set('service', TOKEN_SERVICE);
    for (const s of scopes) url.searchParams.append('scope', s);
    const res = await get(url.toString(), creds ? { authorization: basic(...creds) } : {});
    return { status: res.status, token: res.status === 200 ? JSON.parse(res.body.toString()).token : undefined };
  }

  it('challenges with Bearer and accepts our tokens', async () => {
    const anon = await get(`${reg.url}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers['www-authenticate']).toBe(`Bearer realm="${reg.tokenServer!.realm}",service="${TOKEN_SERVICE}"`);
    reg.tokenServer!.reset();
    const t = await token([], [reg.username!, reg.password!]);
    expect((await get(`${reg.url}/v2/`, { authorization: `Bearer ${t.token}` })).status).toBe(200);
    expect(reg.tokenServer!.requests).toMatchObject([{ method: 'GET', service: TOKEN_SERVICE, scopes: [], hadAuthorization: true, user: 'alice', status: 200 }]);
    expect((await token([], [reg.username!, 'wrong'])).status).toBe(401);
  });

  it('grants requested ∩ granted scopes, which the registry enforces', async () => {
    const repo = uniqueRepo();
    const image = buildImage();
    await pushImage(reg.url, repo, 'v1', image, { auth: { username: reg.username!, password: reg.password! } });
    const manifestUrl = `${reg.url}/v2/${repo}/manifests/v1`;

    const denied = await get(manifestUrl, { accept: MANIFEST_ACCEPT });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toContain(`scope="repository:${repo}:pull"`);

    const pull = await token([`repository:${repo}:pull`], [reg.username!, reg.password!]);
    const got = await get(manifestUrl, { accept: MANIFEST_ACCEPT, authorization: `Bearer ${pull.token}` });
    expect(got.status).toBe(200);
    expect(got.body.equals(image.manifest)).toBe(true);

    // Anonymous may pull public/** only: a token for this repo carries no access, so the registry refuses it.
    const anonToken = await token([`repository:${repo}:pull`]);
    expect((await get(manifestUrl, { accept: MANIFEST_ACCEPT, authorization: `Bearer ${anonToken.token}` })).status).toBe(401);
  });

  it('accepts the OAuth2 POST form with password and refresh_token grants', async () => {
    reg.tokenServer!.reset();
    const post = async (form: Record<string, string>) => {
      const res = await request(reg.tokenServer!.realm, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ service: TOKEN_SERVICE, scope: 'repository:bob/app:pull,push repository:other:pull', ...form }).toString(),
      });
      const doc = res.statusCode === 200 ? ((await res.body.json()) as { access_token: string }) : (await res.body.dump(), undefined);
      return { status: res.statusCode, claims: doc && JSON.parse(Buffer.from(doc.access_token.split('.')[1]!, 'base64url').toString()) };
    };
    const viaRefresh = await post({ grant_type: 'refresh_token', client_id: 'test', refresh_token: 'bob-identity-token' });
    expect(viaRefresh.claims).toMatchObject({ sub: 'bob', access: [{ type: 'repository', name: 'bob/app', actions: ['pull'] }] });
    expect((await post({ grant_type: 'password', username: 'bob', password: 'bob-pw' })).status).toBe(200);
    expect((await post({ grant_type: 'refresh_token', refresh_token: 'nope' })).status).toBe(401);
    expect(reg.tokenServer!.requests.map((r) => [r.method, r.grantType, r.user, r.status])).toEqual([
      ['POST', 'refresh_token', 'bob', 200],
      ['POST', 'password', 'bob', 200],
      ['POST', 'refresh_token', undefined, 401],
    ]);
    expect(reg.tokenServer!.requests[0]!.scopes).toEqual(['repository:bob/app:pull,push', 'repository:other:pull']);
  });

  it('lets anonymous callers pull what the anonymous grants allow', async () => {
    const repo = uniqueRepo('public');
    const image = buildImage();
    await pushImage(reg.url, repo, 'v1', image, { auth: { username: reg.username!, password: reg.password! } });
    const anon = await token([`repository:${repo}:pull,push`]);
    const [, payload] = anon.token!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    expect(claims).toMatchObject({ aud: TOKEN_SERVICE, iss: 'test-issuer', access: [{ type: 'repository', name: repo, actions: ['pull'] }] });
    const got = await get(`${reg.url}/v2/${repo}/manifests/v1`, { accept: MANIFEST_ACCEPT, authorization: `Bearer ${anon.token}` });
    expect(got.status).toBe(200);
  });
});

describe.skipIf(registrySkipReason('tls'))('TLS registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startTestRegistry('tls');
  });
  afterAll(() => reg?.stop());

  it('is trusted with the CA and refused without it', async () => {
    expect(reg.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trusted = new Agent({ connect: { ca: readFileSync(reg.caFile!) } });
    expect((await get(`${reg.url}/v2/`, {}, trusted)).status).toBe(200);
    await trusted.close();
    const err = await get(`${reg.url}/v2/`).catch((e: unknown) => e);
    expect(errorCodes(err)).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('seeds over TLS, also through a fault proxy', async () => {
    const repo = uniqueRepo();
    const image = buildImage();
    await pushImage(reg.url, repo, 'v1', image, { caFile: reg.caFile });
    expect((await rawGetManifest(reg.url, repo, 'v1', { caFile: reg.caFile })).bytes.equals(image.manifest)).toBe(true);
    const proxy = await startFaultProxy(reg.url, { targetCa: readFileSync(reg.caFile!) });
    try {
      const other = uniqueRepo();
      await pushImage(proxy.url, other, 'v1', image);
      expect((await rawGetManifest(proxy.url, other, 'v1')).digest).toBe(image.digest);
    } finally {
      await proxy.stop();
    }
  });
});

describe.skipIf(registrySkipReason('plain') !== undefined || registrySkipReason('tls') !== undefined)('startLocalRegistry', () => {
  it('explains how to install the binary when there is none', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const err = await startLocalRegistry().catch((e: unknown) => e);
      expect(isRegtopoError(err) && err.code).toBe('E_CONFIG');
      expect((err as Error).message).toContain('apt-get install -y docker-registry');
    } finally {
      process.env.PATH = path;
    }
  });

  it('removes the temp data dir it created on stop; in-memory storage works', async () => {
    const reg = await startLocalRegistry();
    expect(existsSync(reg.dataDir)).toBe(true);
    await reg.stop();
    expect(existsSync(reg.dataDir)).toBe(false);
    await reg.stop(); // idempotent

    const mem = await startLocalRegistry({ storage: 'inmemory' });
    const image = buildImage();
    await pushImage(mem.url, 'mem/repo', 'v1', image);
    expect((await rawGetManifest(mem.url, 'mem/repo', 'v1')).digest).toBe(image.digest);
    await mem.stop();
  });

  it('fails with the registry log when the port is taken', async () => {
    const first = await startLocalRegistry();
    try {
      const port = Number(first.host.split(':')[1]);
      const err = await startLocalRegistry({ port }).catch((e: unknown) => e);
      expect(isRegtopoError(err) && err.code).toBe('E_CONFIG');
      expect((err as Error).message).toMatch(/address already in use/);
    } finally {
      await first.stop();
    }
  });

  it('serves as a pull-through cache that refuses pushes', async () => {
    const upstream = await startLocalRegistry();
    const cache = await startLocalRegistry({ proxyRemoteUrl: upstream.url });
    try {
      const image = buildImage();
      await pushImage(upstream.url, 'library/app', 'v1', image);
      expect((await rawGetManifest(cache.url, 'library/app', 'v1')).bytes.equals(image.manifest)).toBe(true);
      const push = await request(`${cache.url}/v2/library/other/blobs/uploads/`, { method: 'POST' });
      await push.body.dump();
      expect(push.statusCode).toBe(405);
    } finally {
      await cache.stop();
      await upstream.stop();
    }
  });
});
