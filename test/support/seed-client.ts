/**
 * The independent path for putting content into a test registry and reading it back byte for byte.
 * Deliberately does not use regtopo's client: a bug there must not be able to hide itself by
 * seeding and checking with the same code. Plain undici, monolithic uploads, Basic or a simple token
 * fetch when the registry challenges.
 */
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import type { Blob, Built } from './images.js';

export interface SeedOptions {
  auth?: { username: string; password: string };
  /** PEM of the CA to trust, or `caFile` to read it from. */
  ca?: string | Buffer;
  caFile?: string;
}

export interface RawManifest {
  status: number;
  bytes: Buffer;
  headers: Record<string, string>;
  /** Docker-Content-Digest, if sent. */
  digest: string | undefined;
  mediaType: string | undefined;
}

const ACCEPT_ALL_MANIFESTS = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST';

/** One repository's worth of requests, remembering the credential that satisfied the last challenge. */
class SeedSession {
  private authorization: string | undefined;
  private readonly dispatcher: Agent;

  constructor(
    readonly base: string,
    private readonly repo: string,
    private readonly opts: SeedOptions,
  ) {
    const ca = opts.ca ?? (opts.caFile ? readFileSync(opts.caFile) : undefined);
    this.dispatcher = new Agent(ca ? { connect: { ca } } : {});
  }

  async send(method: Method, pathOrUrl: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Dispatcher.ResponseData> {
    const url = new URL(pathOrUrl, this.base).toString();
    const attempt = () =>
      request(url, {
        method,
        dispatcher: this.dispatcher,
        headers: { ...headers, ...(this.authorization ? { authorization: this.authorization } : {}) },
        body,
      });
    let res = await attempt();
    if (res.statusCode === 401 && this.opts.auth !== undefined) {
      await res.body.dump();
      this.authorization = await this.answerChallenge(String(res.headers['www-authenticate'] ?? ''));
      res = await attempt();
    }
    return res;
  }

  private async answerChallenge(header: string): Promise<string> {
    const { username, password } = this.opts.auth!;
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    if (/^basic/i.test(header)) return basic;
    if (!/^bearer/i.test(header)) throw new Error(`seed: unsupported challenge "${header}"`);
    const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) throw new Error(`seed: bearer challenge without realm "${header}"`);
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    // Ask for pull and push on our repo whatever the challenge named: the session does both.
    tokenUrl.searchParams.append('scope', `repository:${this.repo}:pull,push`);
    const res = await request(tokenUrl, { headers: { authorization: basic }, dispatcher: this.dispatcher });
    if (res.statusCode !== 200) throw new Error(`seed: token endpoint answered ${res.statusCode}: ${await res.body.text()}`);
    const doc = (await res.body.json()) as { token?: string; access_token?: string };
    const token = doc.token ?? doc.access_token;
    if (!token) throw new Error('seed: token endpoint returned no token');
    return `Bearer ${token}`;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * Pushes blobs, then child manifests by digest, then the top manifest by tag (or digest): the order
 * a registry that checks references (Distribution does) requires. Returns the registry's digest.
 */
export async function pushImage(
  registryUrl: string,
  repo: string,
  tag: string | undefined,
  built: Built,
  opts: SeedOptions = {},
): Promise<string> {
  const session = new SeedSession(registryUrl, repo, opts);
  try {
    for (const blob of allBlobs(built)) await pushBlob(session, repo, blob);
    return await pushManifestTree(session, repo, tag, built);
  } finally {
    await session.close();
  }
}

async function pushBlob(session: SeedSession, repo: string, blob: Blob): Promise<void> {
  const start = await session.send('POST', `/v2/${repo}/blobs/uploads/`, { 'content-length': '0' });
  await start.body.dump();
  const location = start.headers.location;
  if (start.statusCode !== 202 || typeof location !== 'string') {
    throw new Error(`seed: POST upload for ${repo} answered ${start.statusCode}`);
  }
  const put = new URL(location, session.base);
  put.searchParams.set('digest', blob.digest);
  const res = await session.send('PUT', put.toString(), { 'content-type': 'application/octet-stream' }, blob.bytes);
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`seed: PUT blob ${blob.digest} answered ${res.statusCode}: ${text}`);
}

async function pushManifestTree(session: SeedSession, repo: string, tag: string | undefined, built: Built): Promise<string> {
  if (built.kind === 'index') {
    for (const child of built.children) await pushManifestTree(session, repo, undefined, child);
  }
  const res = await session.send('PUT', `/v2/${repo}/manifests/${tag ?? built.digest}`, { 'content-type': built.mediaType }, built.manifest);
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`seed: PUT manifest ${repo}:${tag ?? built.digest} answered ${res.statusCode}: ${text}`);
  const digest = String(res.headers['docker-content-digest'] ?? '');
  if (digest !== built.digest) throw new Error(`seed: registry stored ${digest}, we pushed ${built.digest}`);
  return digest;
}

/** GET a manifest with the full Accept list; returns exactly what the registry sent. */
export async function rawGetManifest(registryUrl: string, repo: string, ref: string, opts: SeedOptions = {}): Promise<RawManifest> {
  const session = new SeedSession(registryUrl, repo, opts);
  try {
    const res = await session.send('GET', `/v2/${repo}/manifests/${ref}`, { accept: ACCEPT_ALL_MANIFESTS });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const headers = flatten(res.headers);
    return { status: res.statusCode, bytes, headers, digest: headers['docker-content-digest'], mediaType: headers['content-type'] };
  } finally {
    await session.close();
  }
}

/** GET a blob's bytes; throws on anything but 200. */
export async function rawGetBlob(registryUrl: string, repo: string, digest: string, opts: SeedOptions = {}): Promise<Buffer> {
  const session = new SeedSession(registryUrl, repo, opts);
  try {
    const res = await session.send('GET', `/v2/${repo}/blobs/${digest}`);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new Error(`seed: GET blob ${digest} answered ${res.statusCode}`);
    return bytes;
  } finally {
    await session.close();
  }
}

/** Every blob an image or index tree references, once each. */
export function allBlobs(built: Built): Blob[] {
  const seen = new Map<string, Blob>();
  const walk = (b: Built): void => {
    if (b.kind === 'index') return b.children.forEach(walk);
    for (const blob of [b.config, ...b.layers]) seen.set(blob.digest, blob);
  };
  walk(built);
  return [...seen.values()];
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
