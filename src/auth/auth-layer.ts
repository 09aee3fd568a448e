/**
 * Challenge-driven auth (distribution-spec token.md): try anonymously, learn the host's challenge
 * from a 401, then answer it with Basic credentials or a Bearer token for the request's scopes. Once a
 * host's challenge is known, later requests are authorised up front, saving a 401 round trip each.
 * Credentials are attached only to requests for their own registry host (`authHost`) whose URL is
 * that registry's API origin, and challenges are learnt only from responses of that origin: a
 * redirect target (object storage, anything else) answering 401 is not the registry asking.
 */
import { RegtopoError } from '../errors.js';
import { apiHost } from '../ref/registry-host.js';
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

  async function authorization(host: string, registryUrl: URL, scopes: string[], challenge: Challenge | undefined): Promise<string | undefined> {
    if (!challenge) return undefined;
    const credential = await options.credentials.get(host);
    if (challenge.scheme === 'basic') {
      return credential?.username !== undefined && credential.password !== undefined
        ? basicHeader(credential.username, credential.password)
        : undefined;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new RegtopoError('E_REGISTRY', `${host}: Bearer challenge without a realm`);
    assertRealmSafe(host, registryUrl, realm, credential);
    const token = await options.tokens.get({ realm, service: challenge.params.service, scopes, credential, registry: host });
    return `Bearer ${token}`;
  }

  return (next) => async (req) => {
    const host = req.authHost;
    if (!host) return next(req);
    const url = new URL(req.url);
    // An authHost on a URL of another host (a hand-built request, an absolute upload Location
    // elsewhere) gets no credentials: they belong to the registry's API origin only.
    if (url.host !== originHost(url.protocol, host)) return next(req);
    const scopes = req.scopes ?? [];
    const sent = await authorization(host, url, scopes, challenges.get(host));
    const res = await next(withAuthorization(req, sent));
    if (res.status !== 401) return res;
    // Only the registry's own origin may tell us how to authenticate to it.
    if (new URL(res.url).origin !== url.origin) return res;

    const challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']));
    if (!challenge) return res;
    challenges.set(host, challenge);
    const wanted = mergeScopes(scopes, challenge.params.scope);
    if (challenge.scheme === 'bearer' && challenge.params.error === 'invalid_token' && challenge.params.realm) {
      options.tokens.invalidate({ realm: challenge.params.realm, service: challenge.params.service, scopes: wanted, registry: host, credential: await options.credentials.get(host) });
    }
    const retry = await authorization(host, url, wanted, challenge);
    if (retry === undefined || (retry === sent && challenge.params.error !== 'invalid_token')) return res;
    await discard(res);
    return next(withAuthorization(req, retry));
  };
}

/** The registry's API host as a URL of that scheme spells it (default ports dropped, lower case). */
function originHost(protocol: string, host: string): string {
  try {
    return new URL(`${protocol}//${apiHost(host)}`).host;
  } catch {
    return '';
  }
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
 * Credentials go to a token realm only over https. The one exception is a registry that is itself
 * spoken to over plain http (loopback, `plainHttp`, an `http://` topology URL): its credentials
 * already cross the wire in clear, and its token service commonly runs beside it the same way. An
 * https registry naming an http realm is refused even on its own hostname, since the password would
 * cross the network in clear text.
 */
function assertRealmSafe(host: string, registryUrl: URL, realm: string, credential: Credential | undefined): void {
  if (!credential || (!credential.password && !credential.identityToken)) return;
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new RegtopoError('E_REGISTRY', `${host}: Bearer challenge names a realm that is not a URL`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && registryUrl.protocol === 'http:') return;
  const why = registryUrl.protocol === 'https:' ? 'the registry is https, its token realm must be too' : 'token realms must be https';
  throw new RegtopoError('E_CONFIG', `${host}: refusing to send credentials to token realm ${url.origin} over plain http (${why})`);
}
