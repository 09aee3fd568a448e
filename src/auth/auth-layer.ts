/**
 * Challenge-driven auth (distribution-spec token.md): try anonymously, learn the host's challenge
 * from a 401, then answer it with Basic credentials or a Bearer token for the request's scopes. Once a
 * host's challenge is known, later requests are authorised up front, saving a 401 round trip each.
 * Credentials are attached only to requests for their own registry host (`authHost`).
 */
import { RegtopoError } from '../errors.js';
import { hostName, isLoopbackHost } from '../ref/registry-host.js';
import { discard, type HttpRequest, type Layer } from '../transport/http-types.js';
import { basicHeader } from './basic-auth.js';
import type { BearerTokenCache } from './bearer-token.js';
import { parseChallenges, pickChallenge, type Challenge } from './challenge.js';
import type { Credential, CredentialProvider } from './credential.js';

export interface AuthLayerOptions {
  credentials: CredentialProvider;
  tokens: BearerTokenCache;
}

export function authLayer(options: AuthLayerOptions): Layer {
  const challenges = new Map<string, Challenge>();

  async function authorization(host: string, scopes: string[], challenge: Challenge | undefined): Promise<string | undefined> {
    if (!challenge) return undefined;
    const credential = await options.credentials.get(host);
    if (challenge.scheme === 'basic') {
      return credential?.username !== undefined && credential.password !== undefined
        ? basicHeader(credential.username, credential.password)
        : undefined;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new RegtopoError('E_REGISTRY', `${host}: Bearer challenge without a realm`);
    assertRealmSafe(host, realm, credential);
    const token = await options.tokens.get({ realm, service: challenge.params.service, scopes, credential, registry: host });
    return `Bearer ${token}`;
  }

  return (next) => async (req) => {
    const host = req.authHost;
    if (!host) return next(req);
    const scopes = req.scopes ?? [];
    const sent = await authorization(host, scopes, challenges.get(host));
    const res = await next(withAuthorization(req, sent));
    if (res.status !== 401) return res;

    const challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']));
    if (!challenge) return res;
    challenges.set(host, challenge);
    const wanted = mergeScopes(scopes, challenge.params.scope);
    if (challenge.scheme === 'bearer' && challenge.params.error === 'invalid_token' && challenge.params.realm) {
      options.tokens.invalidate({ realm: challenge.params.realm, service: challenge.params.service, scopes: wanted, registry: host, credential: await options.credentials.get(host) });
    }
    const retry = await authorization(host, wanted, challenge);
    if (retry === undefined || (retry === sent && challenge.params.error !== 'invalid_token')) return res;
    await discard(res);
    return next(withAuthorization(req, retry));
  };
}

function withAuthorization(req: HttpRequest, header: string | undefined): HttpRequest {
  if (header === undefined) return req;
  return { ...req, headers: { ...req.headers, authorization: header } };
}

function mergeScopes(scopes: string[], fromChallenge: string | undefined): string[] {
  const all = new Set(scopes);
  for (const s of fromChallenge?.split(' ') ?? []) if (s) all.add(s);
  return [...all];
}

/**
 * Credentials go to a token realm only over https, or to the registry's own host, or on loopback:
 * a registry must not be able to harvest them by naming a plain-http realm elsewhere.
 */
function assertRealmSafe(host: string, realm: string, credential: Credential | undefined): void {
  if (!credential || (!credential.password && !credential.identityToken)) return;
  const url = new URL(realm);
  if (url.protocol === 'https:') return;
  if (url.hostname === hostName(host) || isLoopbackHost(url.host)) return;
  throw new RegtopoError('E_CONFIG', `${host}: refusing to send credentials to token realm ${url.origin} over plain http`);
}
