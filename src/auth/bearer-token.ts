/**
 * Bearer tokens from a registry's token service (distribution token auth spec, token.md and oauth.md).
 * Tokens are cached per (registry, realm, service, scopes, identity) until shortly before they expire,
 * and only one fetch per key is in flight, so 64 parallel blob copies cost one token request. The
 * registry is part of the key: two registries naming one realm never see each other's tokens, not
 * even anonymous ones.
 */
import { createHash } from 'node:crypto';
import { RegtopoError } from '../errors.js';
import { BODY_LIMITS, readJsonBounded } from '../transport/bounded-body.js';
import { discard, type Send } from '../transport/http-types.js';
import { redactUrl } from '../transport/redact.js';
import type { Credential } from './credential.js';
import { basicHeader } from './basic-auth.js';

export interface TokenRequest {
  realm: string;
  service?: string;
  scopes: string[];
  credential?: Credential;
  /** The registry host (canonical) the token is for: part of the cache key, and named in messages. */
  registry: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

// The spec's default lifetime when the server omits expires_in; refreshed early to absorb clock skew
// and the time a long upload takes between authorising and sending.
const DEFAULT_LIFETIME_S = 60;
const REFRESH_MARGIN_MS = 15_000;

export class BearerTokenCache {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly send: Send;
  private readonly sendFor: ((registry: string) => Send) | undefined;

  /**
   * `sendFor` picks the transport for one registry's token requests (its TLS settings apply to its
   * realm); without it every request goes through `send`.
   */
  constructor(send: Send, sendFor?: (registry: string) => Send) {
    this.send = send;
    this.sendFor = sendFor;
  }

  async get(req: TokenRequest): Promise<string> {
    const key = cacheKey(req);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.token;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const fetching = this.fetch(req)
      .then((t) => {
        this.cache.set(key, t);
        return t.token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, fetching);
    return fetching;
  }

  /** Forget tokens, e.g. after a registry rejected one as expired early. */
  invalidate(req: TokenRequest): void {
    this.cache.delete(cacheKey(req));
  }

  private async fetch(req: TokenRequest): Promise<CachedToken> {
    const realm = new URL(req.realm);
    const cred = req.credential;
    if (cred?.registryToken) return { token: cred.registryToken, expiresAt: Number.MAX_SAFE_INTEGER };
    const where = `token service ${redactUrl(realm.toString())} for ${req.registry}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const send = this.sendFor?.(req.registry) ?? this.send;
    let res;
    if (cred?.identityToken) {
      // OAuth2 refresh-token grant (oauth.md): identity tokens are never valid as Basic passwords.
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'regtopo', refresh_token: cred.identityToken });
      if (req.service) form.set('service', req.service);
      if (req.scopes.length) form.set('scope', req.scopes.join(' '));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      res = await send({ method: 'POST', url: realm.toString(), headers, body: form.toString() });
    } else {
      const url = new URL(realm);
      if (req.service) url.searchParams.set('service', req.service);
      for (const s of req.scopes) url.searchParams.append('scope', s);
      if (cred?.username !== undefined && cred.password !== undefined) headers.authorization = basicHeader(cred.username, cred.password);
      res = await send({ method: 'GET', url: url.toString(), headers });
    }
    if (res.status === 401 || res.status === 403) {
      await discard(res);
      throw new RegtopoError('E_UNAUTHORIZED', `${where}: credentials refused (HTTP ${res.status})`);
    }
    if (res.status !== 200) {
      await discard(res);
      throw new RegtopoError(res.status === 429 ? 'E_RATE_LIMITED' : 'E_REGISTRY', `${where}: HTTP ${res.status}`);
    }
    const doc = await readJsonBounded<{ token?: unknown; access_token?: unknown; expires_in?: unknown }>(res.body, BODY_LIMITS.token, where, { declaredLength: res.headers['content-length'] });
    const token = typeof doc?.token === 'string' && doc.token ? doc.token : typeof doc?.access_token === 'string' ? doc.access_token : undefined;
    if (!token) throw new RegtopoError('E_REGISTRY', `${where}: response carries no token`);
    const lifetimeMs = (typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_LIFETIME_S) * 1000;
    return { token, expiresAt: Date.now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2) };
  }
}

function cacheKey(req: TokenRequest): string {
  return [req.registry, req.realm, req.service ?? '', [...req.scopes].sort().join(' '), identity(req.credential)].join('|');
}

/** Who asks, without keeping a secret in a map key: the user name plus a digest of the secrets. */
function identity(cred: Credential | undefined): string {
  if (!cred || (!cred.username && !cred.password && !cred.identityToken && !cred.registryToken)) return 'anonymous';
  const secrets = createHash('sha256').update(JSON.stringify([cred.password ?? null, cred.identityToken ?? null, cred.registryToken ?? null])).digest('hex').slice(0, 16);
  return `${cred.username ?? ''}#${secrets}`;
}
