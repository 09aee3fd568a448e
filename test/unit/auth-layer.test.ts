import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { authLayer } from '../../src/auth/auth-layer.js';
import { BearerTokenCache } from '../../src/auth/bearer-token.js';
import { staticCredentials } from '../../src/auth/credential.js';
import type { HttpRequest, HttpResponse, Send } from '../../src/transport/http-types.js';

/** A scripted peer: answers each request from a function and records what it was sent. */
function peer(answer: (req: HttpRequest) => { status: number; headers?: Record<string, string>; body?: string; url?: string }) {
  const seen: HttpRequest[] = [];
  const send: Send = async (req) => {
    seen.push(req);
    const a = answer(req);
    const body = Readable.from([Buffer.from(a.body ?? '')]) as unknown as HttpResponse['body'];
    Object.assign(body, { dump: async () => undefined, json: async () => JSON.parse(a.body ?? '{}') });
    return { status: a.status, headers: a.headers ?? {}, body, url: a.url ?? req.url };
  };
  return { send, seen };
}

const creds = staticCredentials({ 'registry.example.com': { username: 'ci', password: 's3cret' } });

describe('auth layer', () => {
  it('attaches credentials only to requests for their own registry host', async () => {
    const p = peer(() => ({ status: 200 }));
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    await send({ method: 'GET', url: 'https://storage.example.net/blob' });
    expect(p.seen[0]!.headers?.authorization).toBeUndefined();
  });

  it('answers a Basic challenge once, then authorises up front', async () => {
    const p = peer((req) => (req.headers?.authorization ? { status: 200 } : { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }));
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    const req: HttpRequest = { method: 'GET', url: 'https://registry.example.com/v2/', authHost: 'registry.example.com' };
    expect((await send(req)).status).toBe(200);
    expect((await send(req)).status).toBe(200);
    expect(p.seen.map((r) => r.headers?.authorization ?? 'none')).toEqual(['none', `Basic ${Buffer.from('ci:s3cret').toString('base64')}`, `Basic ${Buffer.from('ci:s3cret').toString('base64')}`]);
  });

  it('refuses to send credentials to a plain-http token realm on another host', async () => {
    const p = peer(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="http://evil.example.org/token",service="x"' } }));
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    await expect(send({ method: 'GET', url: 'https://registry.example.com/v2/', authHost: 'registry.example.com' }))
      .rejects.toThrow('registry.example.com: refusing to send credentials to token realm http://evil.example.org over plain http (the registry is https, its token realm must be too)');
    expect(p.seen.every((r) => !r.url.startsWith('http://evil'))).toBe(true);
  });

  it("refuses a plain-http realm on the https registry's own hostname", async () => {
    const p = peer(() => ({ status: 401, headers: { 'www-authenticate': 'Bearer realm="http://registry.example.com:8080/token",service="x"' } }));
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    await expect(send({ method: 'GET', url: 'https://registry.example.com/v2/', authHost: 'registry.example.com' })).rejects.toThrow(/refusing to send credentials to token realm http:\/\/registry\.example\.com:8080 over plain http/);
    expect(p.seen).toHaveLength(1);
  });

  it('allows a plain-http realm when the registry itself is spoken to over plain http', async () => {
    const p = peer((req) => {
      if (req.url.startsWith('http://auth.internal/')) return { status: 200, body: JSON.stringify({ token: 'ok' }) };
      return req.headers?.authorization === 'Bearer ok' ? { status: 200 } : { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://auth.internal/token",service="x"' } };
    });
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    expect((await send({ method: 'GET', url: 'http://registry.example.com/v2/', authHost: 'registry.example.com' })).status).toBe(200);
    expect(p.seen.find((r) => r.url.startsWith('http://auth.internal/'))!.headers?.authorization).toMatch(/^Basic /);
  });

  it('learns no challenge from a response of another origin (a redirect target)', async () => {
    const p = peer(() => ({ status: 401, url: 'https://storage.example.net/blob', headers: { 'www-authenticate': 'Bearer realm="https://evil.example.org/token",service="x"' } }));
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    const req: HttpRequest = { method: 'GET', url: 'https://registry.example.com/v2/a/blobs/sha256:x', authHost: 'registry.example.com' };
    expect((await send(req)).status).toBe(401);
    expect((await send(req)).status).toBe(401);
    expect(p.seen.map((r) => r.url)).toEqual([req.url, req.url]);
    expect(p.seen.every((r) => r.headers?.authorization === undefined)).toBe(true);
  });

  it('attaches no credentials when authHost names a registry the URL does not point at', async () => {
    const p = peer((req) => (req.headers?.authorization ? { status: 200 } : { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }));
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    expect((await send({ method: 'GET', url: 'https://registry.example.com:443/v2/', authHost: 'registry.example.com' })).status).toBe(200);
    expect((await send({ method: 'GET', url: 'https://elsewhere.example.net/v2/', authHost: 'registry.example.com' })).status).toBe(401);
    expect(p.seen.at(-1)!.headers?.authorization).toBeUndefined();
  });

  it('keys cached tokens by registry: two registries naming one realm each fetch their own', async () => {
    let n = 0;
    const p = peer(() => ({ status: 200, body: JSON.stringify({ token: `t${++n}`, expires_in: 300 }) }));
    const cache = new BearerTokenCache(p.send);
    const ask = (registry: string, credential?: { registryToken?: string }) => cache.get({ realm: 'https://auth.example.com/token', service: 's', scopes: ['repository:a:pull'], registry, credential });
    expect([await ask('a.example.com'), await ask('b.example.com'), await ask('a.example.com')]).toEqual(['t1', 't2', 't1']);
    expect(await ask('c.example.com', { registryToken: 'ready-c' })).toBe('ready-c');
    expect(await ask('d.example.com', { registryToken: 'ready-d' })).toBe('ready-d');
    expect(p.seen).toHaveLength(2);
  });

  it('does not loop when the token lacks a scope the registry wants', async () => {
    const p = peer((req) => {
      if (req.url.startsWith('https://auth.example.com/')) return { status: 200, body: JSON.stringify({ token: 't0k', expires_in: 300 }) };
      return { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg",scope="repository:a:pull",error="insufficient_scope"' } };
    });
    const send = authLayer({ credentials: creds, tokens: new BearerTokenCache(p.send) })(p.send);
    const res = await send({ method: 'GET', url: 'https://registry.example.com/v2/a/tags/list', authHost: 'registry.example.com', scopes: ['repository:a:pull'] });
    expect(res.status).toBe(401);
    const toRegistry = p.seen.filter((r) => r.url.startsWith('https://registry.example.com'));
    expect(toRegistry).toHaveLength(2);
    expect(toRegistry[1]!.headers?.authorization).toBe('Bearer t0k');
    // The token request carried the credentials (https realm) and asked for the scope.
    const tokenReq = p.seen.find((r) => r.url.startsWith('https://auth.example.com/'))!;
    expect(new URL(tokenReq.url).searchParams.getAll('scope')).toEqual(['repository:a:pull']);
    expect(tokenReq.headers?.authorization).toMatch(/^Basic /);
  });
});
