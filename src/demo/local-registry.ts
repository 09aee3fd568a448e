/**
 * A throwaway registry on loopback: the CNCF Distribution binary (Debian's `docker-registry`) run as a
 * child process with a generated config. `regtopo demo` and the integration tests use it so that
 * everything runs against a real registry without Docker.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve as resolvePath } from 'node:path';
import { Agent } from 'undici';
import { stringify } from 'yaml';
import { RegtopoError } from '../errors.js';
import { spawnSupervised } from './supervised-process.js';

export type LocalRegistryAuth =
  | { htpasswd: { path: string; realm?: string } }
  | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };

export interface LocalRegistryOptions {
  /** Path to the Distribution binary; default: `docker-registry` or `registry` on PATH. */
  binary?: string;
  /** Storage root; default a fresh temp dir that stop() removes. */
  dataDir?: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  host?: string;
  auth?: LocalRegistryAuth;
  /** `ca` (default: `certificate`) is what we trust while waiting for readiness. */
  tls?: { certificate: string; key: string; ca?: string };
  /** Pull-through cache of this upstream; such a registry refuses pushes. */
  proxyRemoteUrl?: string;
  deleteEnabled?: boolean;
  storage?: 'filesystem' | 'inmemory';
  readyTimeoutMs?: number;
  /**
   * `validation.manifests.urls.allow`: Distribution refuses every manifest whose layers carry `urls`
   * (foreign / non-distributable layers) unless they match one of these patterns.
   */
  manifestUrlsAllow?: string[];
}

export interface LocalRegistry {
  /** host:port, as it appears in image references. */
  host: string;
  url: string;
  dataDir: string;
  /** The supervising process (see supervised-process.ts); its process group includes the registry. */
  pid: number;
  /** The last lines the registry logged, for failure messages. */
  logTail(): string;
  stop(): Promise<void>;
}

interface ResolvedOptions {
  binary: string;
  dataDir: string;
  ownsDataDir: boolean;
  fixedPort: number | undefined;
  host: string;
  auth: LocalRegistryAuth | undefined;
  tls: { certificate: string; key: string; ca: string } | undefined;
  proxyRemoteUrl: string | undefined;
  deleteEnabled: boolean;
  storage: 'filesystem' | 'inmemory';
  readyTimeoutMs: number;
  manifestUrlsAllow: string[] | undefined;
}

const BINARY_NAMES = ['docker-registry', 'registry'];
const MAX_START_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 50;
const INSTANCE_HEADER = 'X-Regtopo-Instance';

/** The Distribution binary on PATH, if any. */
export function findRegistryBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of BINARY_NAMES) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, fsConstants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

export async function startLocalRegistry(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const opts = resolveOptions(options);
  try {
    for (let attempt = 1; ; attempt++) {
      const port = opts.fixedPort ?? (await pickFreePort(opts.host));
      try {
        return await startOnce(opts, port);
      } catch (err) {
        // Another process can grab the port between our probe and the registry's bind: try a new one.
        const raced = err instanceof PortInUseError && opts.fixedPort === undefined;
        if (!raced || attempt >= MAX_START_ATTEMPTS) throw err instanceof PortInUseError ? err.asConfigError() : err;
      }
    }
  } catch (err) {
    if (opts.ownsDataDir) rmSync(opts.dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** All defaults are decided here, so the rest of the file never guesses. */
function resolveOptions(o: LocalRegistryOptions): ResolvedOptions {
  const binary = o.binary ?? findRegistryBinary();
  if (!binary) {
    throw new RegtopoError('E_CONFIG', 'no registry binary: install Debian package docker-registry (apt-get install -y docker-registry)');
  }
  const storage = o.storage ?? 'filesystem';
  const ownsDataDir = o.dataDir === undefined;
  return {
    binary,
    // The registry resolves paths against its own cwd; absolute paths keep that from mattering.
    dataDir: o.dataDir ? resolvePath(o.dataDir) : mkdtempSync(join(tmpdir(), 'regtopo-registry-data-')),
    ownsDataDir,
    fixedPort: o.port ? o.port : undefined,
    host: o.host ?? '127.0.0.1',
    auth: o.auth,
    tls: o.tls ? { certificate: o.tls.certificate, key: o.tls.key, ca: o.tls.ca ?? o.tls.certificate } : undefined,
    proxyRemoteUrl: o.proxyRemoteUrl,
    deleteEnabled: o.deleteEnabled ?? true,
    storage,
    readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
    manifestUrlsAllow: o.manifestUrlsAllow,
  };
}

function registryConfig(opts: ResolvedOptions, port: number, instanceId: string): Record<string, unknown> {
  const storageBackend = opts.storage === 'inmemory' ? { inmemory: {} } : { filesystem: { rootdirectory: opts.dataDir } };
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: {
      ...storageBackend,
      delete: { enabled: opts.deleteEnabled },
      // Purging would delete uploads a slow test left open; it also runs a goroutine we do not need.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: hostPort(opts.host, port),
      // Fixed, so upload `_state` tokens stay valid across a restart on the same data dir.
      secret: 'regtopo-local-registry-secret',
      // Readiness checks this: a 200 from whatever else holds the port must not count as ours.
      headers: { [INSTANCE_HEADER]: [instanceId] },
      ...(opts.tls ? { tls: { certificate: opts.tls.certificate, key: opts.tls.key } } : {}),
    },
  };
  if (opts.auth && 'htpasswd' in opts.auth) {
    config.auth = { htpasswd: { realm: opts.auth.htpasswd.realm ?? 'basic-realm', path: opts.auth.htpasswd.path } };
  } else if (opts.auth) {
    const t = opts.auth.token;
    config.auth = { token: { realm: t.realm, service: t.service, issuer: t.issuer, rootcertbundle: t.rootCertBundle } };
  }
  if (opts.proxyRemoteUrl) config.proxy = { remoteurl: opts.proxyRemoteUrl };
  if (opts.manifestUrlsAllow) config.validation = { manifests: { urls: { allow: opts.manifestUrlsAllow } } };
  return config;
}

async function startOnce(opts: ResolvedOptions, port: number): Promise<LocalRegistry> {
  const runDir = mkdtempSync(join(tmpdir(), 'regtopo-registry-run-'));
  const configPath = join(runDir, 'config.yml');
  const instanceId = randomBytes(12).toString('hex');
  writeFileSync(configPath, stringify(registryConfig(opts, port, instanceId)));
  // A failed earlier attempt's cleanup removed an owned data dir; the registry wants it to exist.
  if (opts.storage === 'filesystem') mkdirSync(opts.dataDir, { recursive: true });
  const proc = spawnSupervised(opts.binary, configPath, opts.ownsDataDir ? [runDir, opts.dataDir] : [runDir]);

  const host = hostPort(opts.host, port);
  const url = `${opts.tls ? 'https' : 'http'}://${host}`;
  try {
    await waitUntilReady(url, instanceId, opts, proc.failure);
  } catch (err) {
    await proc.stop();
    const tail = proc.logTail();
    if (/address already in use/i.test(tail)) throw new PortInUseError(host, tail);
    const why = err instanceof Error ? err.message : String(err);
    throw new RegtopoError('E_CONFIG', `local registry on ${host} did not become ready: ${why}\n--- registry log ---\n${tail || '(empty)'}`, { cause: err });
  }
  return { host, url, dataDir: opts.dataDir, pid: proc.pid, logTail: proc.logTail, stop: proc.stop };
}

/** Polls GET /v2/ until it answers 200 or 401 (auth on: the registry is up but wants credentials). */
async function waitUntilReady(url: string, instanceId: string, opts: ResolvedOptions, died: () => Error | undefined): Promise<void> {
  const dispatcher = new Agent({ connect: opts.tls ? { ca: readFileSync(opts.tls.ca) } : {}, pipelining: 0 });
  const deadline = Date.now() + opts.readyTimeoutMs;
  let last = 'no answer yet';
  try {
    for (;;) {
      const death = died();
      if (death) throw death;
      try {
        const res = await dispatcher.request({ origin: url, path: '/v2/', method: 'GET', headersTimeout: 2_000, bodyTimeout: 2_000 });
        await res.body.dump();
        const ours = res.headers[INSTANCE_HEADER.toLowerCase()] === instanceId;
        if (ours && (res.statusCode === 200 || res.statusCode === 401)) return;
        last = ours ? `GET /v2/ answered ${res.statusCode}` : 'another server answers on this port';
      } catch (err) {
        last = err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}`.trim() : String(err);
      }
      if (Date.now() >= deadline) throw new Error(`timed out after ${opts.readyTimeoutMs} ms (${last})`);
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
  } finally {
    await dispatcher.close();
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Binding port 0 lets the kernel choose; the registry then binds it after we let go. */
function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the probed port'))));
    });
  });
}

class PortInUseError extends Error {
  constructor(readonly host: string, readonly tail: string) {
    super(`${host}: address already in use`);
  }
  asConfigError(): RegtopoError {
    return new RegtopoError('E_CONFIG', `local registry could not bind ${this.host}: address already in use\n${this.tail}`);
  }
}
