/**
 * Credentials from the docker CLI's config.json, so `docker login` is all a user needs. Lookup
 * order follows the docker CLI: a per-host credHelper, then the global credsStore, then `auths`.
 * The file holds secrets, so errors name the file (and a key) but never echo its contents.
 */

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegtopoError } from '../errors.js';
import { canonicalHost, credentialKey } from '../ref/registry-host.js';
import { type Credential, type CredentialProvider, isEmptyCredential, withSource } from './credential.js';
import { credentialHelper } from './credential-helper.js';

export interface DockerConfigOptions {
  /** Directory holding config.json; defaults to $DOCKER_CONFIG, then ~/.docker. */
  configDir?: string;
  /** Environment for DOCKER_CONFIG/HOME and for credential helpers (their PATH). */
  env?: NodeJS.ProcessEnv;
  helperTimeoutMs?: number;
}

interface DockerConfig {
  auths: Record<string, unknown>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigPath(opts: Pick<DockerConfigOptions, 'configDir' | 'env'> = {}): string {
  const env = opts.env ?? process.env;
  const dir = opts.configDir ?? (env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'));
  return join(dir, 'config.json');
}

export function dockerConfigCredentials(opts: DockerConfigOptions = {}): CredentialProvider {
  const path = dockerConfigPath(opts);
  // Read on first use only: commands that talk to anonymous registries never touch the file, and
  // the answer (including a parse error) stays the same for the whole run.
  let loaded: Promise<DockerConfig | undefined> | undefined;
  const helpers = new Map<string, CredentialProvider>();
  const helper = (name: string): CredentialProvider => {
    let provider = helpers.get(name);
    if (!provider) {
      provider = credentialHelper(name, { env: opts.env, timeoutMs: opts.helperTimeoutMs });
      helpers.set(name, provider);
    }
    return provider;
  };

  return {
    async get(host) {
      loaded ??= loadConfig(path);
      const config = await loaded;
      if (!config) return undefined;
      const canonical = canonicalHost(host);

      const helperName = findByHost(config.credHelpers, canonical);
      if (helperName) {
        const cred = await helper(helperName).get(canonical);
        if (cred) return withSource(cred, `credential helper docker-credential-${helperName} (credHelpers in ${path})`);
      }
      // Falling through when a helper has no entry (rather than stopping, as the docker CLI does)
      // lets `auths` written by CI tooling work on machines whose credsStore is a desktop keychain.
      if (config.credsStore) {
        const cred = await helper(config.credsStore).get(canonical);
        if (cred) return withSource(cred, `credential helper docker-credential-${config.credsStore} (credsStore in ${path})`);
      }
      const key = findAuthKey(config.auths, canonical);
      const cred = key === undefined ? undefined : decodeAuthEntry(path, key, config.auths[key]);
      return cred && withSource(cred, `${path} auths[${JSON.stringify(key)}]`);
    },
  };
}

async function loadConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new RegtopoError('E_CONFIG', `${path}: cannot read (${code ?? 'unknown error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, which may be a password: report only where.
    const pos = /position (\d+)/.exec(String((e as Error).message))?.[1];
    const where = pos === undefined ? '' : ` at ${lineColumn(text, Number(pos))}`;
    throw new RegtopoError('E_CONFIG', `${path}: invalid JSON${where}`);
  }
  if (!isObject(raw)) throw new RegtopoError('E_CONFIG', `${path}: invalid JSON: expected an object`);

  const auths = raw.auths ?? {};
  if (!isObject(auths)) throw new RegtopoError('E_CONFIG', `${path}: "auths" must be an object`);
  const credHelpers = raw.credHelpers ?? {};
  if (!isObject(credHelpers) || !Object.values(credHelpers).every((v) => typeof v === 'string')) {
    throw new RegtopoError('E_CONFIG', `${path}: "credHelpers" must map hosts to helper names`);
  }
  const credsStore = raw.credsStore;
  if (credsStore !== undefined && typeof credsStore !== 'string') {
    throw new RegtopoError('E_CONFIG', `${path}: "credsStore" must be a string`);
  }
  return { auths, credHelpers: credHelpers as Record<string, string>, credsStore: credsStore || undefined };
}

/**
 * Reduces a config key to a canonical host. `docker login` and other tools have written keys as
 * `host`, `https://host`, `http://host/`, `https://host/v1/` and so on over the years.
 */
export function normalizeConfigKey(key: string): string {
  let s = key.trim();
  s = s.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
  const slash = s.indexOf('/');
  if (slash !== -1) s = s.slice(0, slash);
  return canonicalHost(s);
}

function findByHost(map: Record<string, string>, host: string): string | undefined {
  const exact = map[credentialKey(host)] ?? map[host];
  if (exact) return exact;
  for (const [key, value] of Object.entries(map)) if (value && normalizeConfigKey(key) === host) return value;
  return undefined;
}

/** Exact keys first (the form docker login writes), then the first key that normalises to host. */
function findAuthKey(auths: Record<string, unknown>, host: string): string | undefined {
  for (const key of [credentialKey(host), host]) if (Object.hasOwn(auths, key)) return key;
  return Object.keys(auths).find((key) => normalizeConfigKey(key) === host);
}

function decodeAuthEntry(path: string, key: string, entry: unknown): Credential | undefined {
  const where = `${path}: auths[${JSON.stringify(key)}]`;
  if (!isObject(entry)) throw new RegtopoError('E_CONFIG', `${where} must be an object`);
  const field = (name: string): string | undefined => {
    const v = entry[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new RegtopoError('E_CONFIG', `${where}.${name} must be a string`);
    return v;
  };

  const cred: Credential = { username: field('username'), password: field('password') };
  const auth = field('auth');
  if (auth !== undefined) {
    const decoded = decodeBase64(auth);
    // The first colon splits: usernames cannot contain one, passwords and tokens may.
    const colon = decoded?.indexOf(':') ?? -1;
    if (decoded === undefined || colon === -1) {
      throw new RegtopoError('E_CONFIG', `${where}.auth is not base64 of "username:password"`);
    }
    cred.username = decoded.slice(0, colon);
    cred.password = decoded.slice(colon + 1);
  }
  cred.identityToken = field('identitytoken');
  cred.registryToken = field('registrytoken');

  for (const k of Object.keys(cred) as (keyof Credential)[]) if (!cred[k]) delete cred[k];
  return isEmptyCredential(cred) ? undefined : cred;
}

/** Strict: Buffer.from silently skips bad characters, which would turn garbage into a wrong login. */
function decodeBase64(value: string): string | undefined {
  const s = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(s, 'base64'));
  } catch {
    return undefined;
  }
}

function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `line ${before.length} column ${before[before.length - 1]!.length + 1}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
