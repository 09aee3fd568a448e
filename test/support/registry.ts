/**
 * Real registries for integration tests, one call per flavour: plain http, htpasswd (bcrypt), token
 * auth (with our own token server) and TLS (with a throwaway CA). Built on the product's
 * startLocalRegistry; when the Distribution binary is missing, the plain flavour can fall back to the
 * `registry:2` image through testcontainers if a Docker engine is reachable. Suites gate on
 * registrySkipReason() so a machine without either skips with a message saying what to install.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { findRegistryBinary, startLocalRegistry, type LocalRegistryOptions } from '../../src/demo/local-registry.js';
import { makeServerPki, makeTokenSigningPki } from './pki.js';
import { startTokenServer, type TokenGrant, type TokenServer, type TokenUser } from './token-server.js';

export type TestRegistryVariant = 'plain' | 'htpasswd' | 'token' | 'tls';

export interface TestRegistryOptions {
  storage?: 'filesystem' | 'inmemory';
  deleteEnabled?: boolean;
  dataDir?: string;
  proxyRemoteUrl?: string;
  /** htpasswd and token variants: the user name (default alice). */
  username?: string;
  /** Token variant: extra users beyond the default one, which may push and pull everything. */
  tokenUsers?: Record<string, TokenUser>;
  /** Token variant: what anonymous callers get; default nothing. */
  tokenAnonymous?: TokenGrant[];
}

export interface TestRegistry {
  variant: TestRegistryVariant;
  host: string;
  url: string;
  username?: string;
  password?: string;
  /** TLS variant: the CA that signed the server certificate. */
  caFile?: string;
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

export const TOKEN_SERVICE = 'test-registry';
export const TOKEN_ISSUER = 'test-issuer';

const NO_BACKEND = 'no docker-registry binary and no Docker engine: apt-get install -y docker-registry';
const DOCKER_ONLY_PLAIN = 'no docker-registry binary (the Docker fallback covers only the plain variant): apt-get install -y docker-registry';

/**
 * Synchronous, so it works in `describe.skipIf(...)` at collection time. The Docker check is only a
 * hint (a socket or DOCKER_HOST); startTestRegistry finds out for sure.
 */
export function registrySkipReason(variant: TestRegistryVariant = 'plain'): string | undefined {
  const reason = findRegistryBinary() ? undefined : !dockerEngineLikely() ? NO_BACKEND : variant === 'plain' ? undefined : DOCKER_ONLY_PLAIN;
  // describe.skipIf shows no reason of its own, so say it once per worker.
  if (reason && !announced.has(reason)) {
    announced.add(reason);
    console.warn(`skipping registry suites: ${reason}`);
  }
  return reason;
}

const announced = new Set<string>();

export async function startTestRegistry(variant: TestRegistryVariant, opts: TestRegistryOptions = {}): Promise<TestRegistry> {
  if (!findRegistryBinary()) {
    if (variant !== 'plain') throw new Error(DOCKER_ONLY_PLAIN);
    return startContainerRegistry();
  }
  const base: LocalRegistryOptions = {
    storage: opts.storage ?? 'filesystem',
    deleteEnabled: opts.deleteEnabled ?? true,
    dataDir: opts.dataDir,
    proxyRemoteUrl: opts.proxyRemoteUrl,
  };
  switch (variant) {
    case 'plain': {
      const reg = await startLocalRegistry(base);
      return { variant, host: reg.host, url: reg.url, stop: reg.stop };
    }
    case 'htpasswd':
      return startHtpasswd(base, opts.username ?? 'alice');
    case 'token':
      return startToken(base, opts);
    case 'tls':
      return startTls(base);
  }
}

async function startHtpasswd(base: LocalRegistryOptions, username: string): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'regtopo-htpasswd-'));
  const password = randomBytes(12).toString('base64url');
  // Distribution reads bcrypt entries only; cost 4 is the minimum and keeps each check fast.
  const path = join(dir, 'htpasswd');
  await writeFile(path, `${username}:${bcrypt.hashSync(password, 4)}\n`);
  const reg = await startLocalRegistry({ ...base, auth: { htpasswd: { path, realm: 'basic-realm' } } }).catch(async (err) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    variant: 'htpasswd',
    host: reg.host,
    url: reg.url,
    username,
    password,
    stop: async () => {
      await reg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startToken(base: LocalRegistryOptions, opts: TestRegistryOptions): Promise<TestRegistry> {
  const username = opts.username ?? 'alice';
  const password = randomBytes(12).toString('base64url');
  const pki = await makeTokenSigningPki();
  const tokenServer = await startTokenServer({
    signingKeyPem: pki.keyPem,
    signingCertPem: pki.certPem,
    issuer: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    users: { [username]: { password, grants: [{ repo: '**', actions: ['pull', 'push', 'delete'] }] }, ...opts.tokenUsers },
    anonymous: opts.tokenAnonymous ?? [],
  });
  try {
    const reg = await startLocalRegistry({
      ...base,
      auth: { token: { realm: tokenServer.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootCertBundle: pki.certFile } },
    });
    return {
      variant: 'token',
      host: reg.host,
      url: reg.url,
      username,
      password,
      tokenServer,
      stop: async () => {
        await reg.stop();
        await tokenServer.stop();
        await pki.remove();
      },
    };
  } catch (err) {
    await tokenServer.stop();
    await pki.remove();
    throw err;
  }
}

async function startTls(base: LocalRegistryOptions): Promise<TestRegistry> {
  const pki = await makeServerPki();
  try {
    const reg = await startLocalRegistry({ ...base, tls: { certificate: pki.certFile, key: pki.keyFile, ca: pki.caFile } });
    return {
      variant: 'tls',
      host: reg.host,
      url: reg.url,
      caFile: pki.caFile,
      stop: async () => {
        await reg.stop();
        await pki.remove();
      },
    };
  } catch (err) {
    await pki.remove();
    throw err;
  }
}

function dockerEngineLikely(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** The fallback: Distribution's own image, started and reaped by testcontainers. */
async function startContainerRegistry(): Promise<TestRegistry> {
  let tc: typeof import('testcontainers');
  try {
    // Loaded lazily: it is heavy, and machines with the binary never need it.
    tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
  } catch (err) {
    throw new Error(`${NO_BACKEND} (${(err as Error).message})`);
  }
  const container = await new tc.GenericContainer('registry:2')
    .withExposedPorts(5000)
    .withEnvironment({ REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_LOG_LEVEL: 'error' })
    .withWaitStrategy(tc.Wait.forHttp('/v2/', 5000).forStatusCode(200))
    .start();
  const host = `${container.getHost()}:${container.getMappedPort(5000)}`;
  return {
    variant: 'plain',
    host,
    url: `http://${host}`,
    stop: async () => {
      await container.stop();
    },
  };
}
