/**
 * What a registry login is made of, and the provider interface everything that needs one asks.
 * Providers are keyed by canonical registry host so Docker Hub's aliases resolve to one entry;
 * the folding itself stays in ref/registry-host.ts.
 */

import { canonicalHost } from '../ref/registry-host.js';

/**
 * One registry login. Any subset may be set: basic credentials, an OAuth refresh token
 * (identityToken, exchanged at the token endpoint) or a ready bearer token (registryToken).
 */
export interface Credential {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
  /**
   * Where the login came from, for messages (`~/.docker/config.json auths["ghcr.io"]`, `credential
   * helper docker-credential-pass`): never a secret. Set with withSource, which keeps it out of
   * JSON and equality so a Credential still compares by its login alone.
   */
  readonly source?: string;
}

/** `cred` labelled with where it came from (non-enumerable; see Credential.source). */
export function withSource<T extends Credential>(cred: T, source: string): T {
  Object.defineProperty(cred, 'source', { value: source, enumerable: false, configurable: true });
  return cred;
}

export interface CredentialProvider {
  /**
   * Credentials for a canonical registry host (`docker.io`, `127.0.0.1:5000`, `ghcr.io`), or
   * undefined when this provider has none. Errors mean the source itself is broken (a bad config
   * file, a failing helper) and must not be mistaken for "anonymous".
   */
  get(host: string): Promise<Credential | undefined>;
}

/** True when the credential carries nothing usable, e.g. Docker Desktop's empty `auths` entries. */
export function isEmptyCredential(cred: Credential): boolean {
  return !cred.username && !cred.password && !cred.identityToken && !cred.registryToken;
}

/** Fixed credentials, e.g. from flags or a library caller. Keys may use any Docker Hub alias. */
export function staticCredentials(map: Record<string, Credential>): CredentialProvider {
  const byHost = new Map<string, Credential>();
  for (const [key, cred] of Object.entries(map)) byHost.set(canonicalHost(key), { ...cred });
  return {
    async get(host) {
      const cred = byHost.get(canonicalHost(host));
      // A copy, so a caller mutating what it got cannot change later answers.
      return cred ? { ...cred } : undefined;
    },
  };
}

/**
 * Asks providers in order; the first that has credentials wins. An error from a provider stops the
 * chain rather than falling through, so a broken source is reported instead of silently skipped.
 */
export function chainCredentials(...providers: CredentialProvider[]): CredentialProvider {
  return {
    async get(host) {
      for (const provider of providers) {
        const cred = await provider.get(host);
        if (cred) return cred;
      }
      return undefined;
    },
  };
}
