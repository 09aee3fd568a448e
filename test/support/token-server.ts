/**
 * A small token service for registries in token-auth mode (distribution token.md / oauth.md). It
 * grants each requested scope only as far as the caller's grants allow, signs RS256 JWTs whose `x5c`
 * header names the certificate the registry trusts, and records every request so tests can assert how
 * a client talked to it (one fetch per scope, credentials sent or not).
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pemToDerBase64 } from './pki.js';

export interface TokenGrant {
  /** Glob (`*` within one path segment, `**` across segments) or a RegExp on the repository name. */
  repo: string | RegExp;
  actions: string[];
  /** Resource type; 'repository' unless granting e.g. `registry:catalog:*`. */
  type?: string;
}

export interface TokenUser {
  password: string;
  grants: TokenGrant[];
  /** Accepted as `refresh_token` in the OAuth2 POST form, like a Docker identity token. */
  refreshToken?: string;
}

export interface TokenServerOptions {
  signingKeyPem: string;
  signingCertPem: string;
  issuer: string;
  /** Used as `aud` when a request names no service. */
  service: string;
  users?: Record<string, TokenUser>;
  anonymous?: TokenGrant[];
  /** Token lifetime; default 300 s. */
  ttlSeconds?: number;
  /**
   * Added to the `exp` claim only, not to `expires_in`: a negative value issues tokens the registry
   * stops accepting long before the client expects (as a token revoked or expired early would be).
   * Distribution allows 60 s of leeway, so -(ttl + 58) gives tokens that die about 2 s after issue.
   * Default 0.
   */
  expiryOffsetSeconds?: number;
}

export interface TokenRequestRecord {
  method: string;
  path: string;
  service: string | undefined;
  scopes: string[];
  hadAuthorization: boolean;
  /** The authenticated user; undefined for anonymous or refused requests. */
  user: string | undefined;
  grantType: string | undefined;
  status: number;
}

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServer {
  url: string;
  /** Where clients are sent: `${url}/token`. */
  realm: string;
  readonly requests: TokenRequestRecord[];
  /** Mutable, so a test can start issuing short-lived tokens mid-run. */
  ttlSeconds: number;
  /** Mutable, see TokenServerOptions.expiryOffsetSeconds. */
  expiryOffsetSeconds: number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(options.signingKeyPem);
  const x5c = [pemToDerBase64(options.signingCertPem)];
  const requests: TokenRequestRecord[] = [];
  const state = { ttlSeconds: options.ttlSeconds ?? 300, expiryOffsetSeconds: options.expiryOffsetSeconds ?? 0 };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    const record: TokenRequestRecord = {
      method: req.method ?? '',
      path: url.pathname,
      service: params.get('service') ?? undefined,
      scopes: params.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean),
      hadAuthorization: req.headers.authorization !== undefined,
      user: undefined,
      grantType: params.get('grant_type') ?? undefined,
      status: 0,
    };
    requests.push(record);
    const reply = (status: number, body: unknown): void => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };

    if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'POST')) return reply(404, { error: 'not_found' });
    const who = identify(req, params, options.users ?? {});
    if (who === 'refused') return reply(401, { error: 'invalid_grant', details: 'credentials refused' });
    record.user = who?.name;
    const grants = who ? who.user.grants : (options.anonymous ?? []);

    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: options.issuer,
      sub: who?.name ?? '',
      // Distribution rejects an array here: it must be the bare service string.
      aud: record.service ?? options.service,
      exp: now + state.ttlSeconds + state.expiryOffsetSeconds,
      nbf: now - 1,
      iat: now,
      jti: randomUUID(),
      access: grantedAccess(record.scopes, grants),
    };
    const token = signJwt({ alg: 'RS256', typ: 'JWT', x5c }, claims, key);
    reply(200, { token, access_token: token, expires_in: state.ttlSeconds, issued_at: new Date(now * 1000).toISOString() });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    realm: `${url}/token`,
    requests,
    get ttlSeconds() {
      return state.ttlSeconds;
    },
    set ttlSeconds(v: number) {
      state.ttlSeconds = v;
    },
    get expiryOffsetSeconds() {
      return state.expiryOffsetSeconds;
    },
    set expiryOffsetSeconds(v: number) {
      state.expiryOffsetSeconds = v;
    },
    reset: () => void requests.splice(0),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Undefined = anonymous; 'refused' = credentials were offered and are wrong. */
function identify(
  req: IncomingMessage,
  params: URLSearchParams,
  users: Record<string, TokenUser>,
): { name: string; user: TokenUser } | undefined | 'refused' {
  const grantType = params.get('grant_type');
  if (req.method === 'POST' && grantType === 'refresh_token') {
    const offered = params.get('refresh_token');
    const found = Object.entries(users).find(([, u]) => u.refreshToken !== undefined && u.refreshToken === offered);
    return found ? { name: found[0], user: found[1] } : 'refused';
  }
  let name: string | null | undefined;
  let password: string | null | undefined;
  if (req.method === 'POST' && grantType === 'password') {
    name = params.get('username');
    password = params.get('password');
  } else {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const m = /^Basic\s+(\S+)$/i.exec(header);
    if (!m?.[1]) return 'refused';
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    name = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const user = name ? users[name] : undefined;
  if (!name || !user || user.password !== password) return 'refused';
  return { name, user };
}

/** Requested ∩ granted, per scope; scopes that end up with no actions are left out entirely. */
export function grantedAccess(scopes: string[], grants: TokenGrant[]): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const scope of scopes) {
    // type:name:actions, where the name itself may hold a colon (e.g. a host:port prefix).
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first === -1 || last === first) continue;
    const type = scope.slice(0, first);
    const name = scope.slice(first + 1, last);
    const requested = scope.slice(last + 1).split(',').filter(Boolean);
    const allowed = new Set<string>();
    for (const g of grants) {
      if ((g.type ?? 'repository') !== type || !matchesRepo(g.repo, name)) continue;
      for (const a of requested) if (g.actions.includes(a) || g.actions.includes('*')) allowed.add(a);
    }
    if (allowed.size > 0) out.push({ type, name, actions: requested.filter((a) => allowed.has(a)) });
  }
  return out;
}

function matchesRepo(pattern: string | RegExp, name: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  const source = pattern
    .split('**')
    .map((part) => part.split('*').map(escapeRegExp).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`).test(name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function signJwt(header: object, claims: object, key: KeyObject): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // RS256 = RSASSA-PKCS1-v1_5 with SHA-256, node's default padding for an RSA key.
  const signature = sign('sha256', Buffer.from(signingInput), key);
  return `${signingInput}.${base64url(signature)}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
