/**
 * A throwaway registry on loopback: the CNCF Distribution binary (Debian's `docker-registry`) run as a
 * child process with a generated config. `regtopo demo` and the integration tests use it so that
 * everything runs against a real registry without Docker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { RegtopoError } from '../errors.js';

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
}

export interface LocalRegistry {
  /** host:port, as it appears in image references. */
  host: string;
  url: string;
  dataDir: string;
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
}

const BINARY_NAMES = ['docker-registry', 'registry'];
const MAX_START_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 50;
const LOG_TAIL_BYTES = 8 * 1024;
const STOP_GRACE_MS = 3_000;

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
    dataDir: o.dataDir ?? mkdtempSync(join(tmpdir(), 'regtopo-registry-data-')),
    ownsDataDir,
    fixedPort: o.port ? o.port : undefined,
    host: o.host ?? '127.0.0.1',
    auth: o.auth,
    tls: o.tls ? { certificate: o.tls.certificate, key: o.tls.key, ca: o.tls.ca ?? o.tls.certificate } : undefined,
    proxyRemoteUrl: o.proxyRemoteUrl,
    deleteEnabled: o.deleteEnabled ?? true,
    storage,
    readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
  };
}

function registryConfig(opts: ResolvedOptions, port: number): Record<string, unknown> {
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
      addr: `${opts.host}:${port}`,
      // Fixed, so upload `_state` tokens stay valid across a restart on the same data dir.
      secret: 'regtopo-local-registry-secret',
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
  return config;
}

async function startOnce(opts: ResolvedOptions, port: number): Promise<LocalRegistry> {
  const runDir = mkdtempSync(join(tmpdir(), 'regtopo-registry-run-'));
  const configPath = join(runDir, 'config.yml');
  writeFileSync(configPath, stringify(registryConfig(opts, port)));

  const child = spawn(opts.binary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new LogTail();
  child.stdout?.on('data', (d: Buffer) => log.push(d));
  child.stderr?.on('data', (d: Buffer) => log.push(d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  track(child, () => {
    rmSync(runDir, { recursive: true, force: true });
    if (opts.ownsDataDir) rmSync(opts.dataDir, { recursive: true, force: true });
  });

  const scheme = opts.tls ? 'https' : 'http';
  const host = `${opts.host}:${port}`;
  const url = `${scheme}://${host}`;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killAndWait(child, exited);
    untrack(child);
    rmSync(runDir, { recursive: true, force: true });
    if (opts.ownsDataDir) rmSync(opts.dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(url, opts, () => spawnError ?? (child.exitCode !== null || child.signalCode !== null ? 'exited' : undefined));
  } catch (err) {
    await killAndWait(child, exited);
    untrack(child);
    rmSync(runDir, { recursive: true, force: true });
    const tail = log.text();
    if (/address already in use/i.test(tail)) throw new PortInUseError(host, tail);
    const why = err instanceof Error ? err.message : String(err);
    throw new RegtopoError('E_CONFIG', `local registry on ${host} did not become ready: ${why}\n--- registry log ---\n${tail || '(empty)'}`, { cause: err });
  }

  return { host, url, dataDir: opts.dataDir, pid: child.pid ?? -1, logTail: () => log.text(), stop };
}

/** Polls GET /v2/ until it answers 200 or 401 (auth on: the registry is up but wants credentials). */
async function waitUntilReady(url: string, opts: ResolvedOptions, died: () => Error | string | undefined): Promise<void> {
  const dispatcher = new Agent({ connect: opts.tls ? { ca: readFileSync(opts.tls.ca) } : {}, pipelining: 0 });
  const deadline = Date.now() + opts.readyTimeoutMs;
  let last = 'no answer yet';
  try {
    for (;;) {
      const death = died();
      if (death) throw death instanceof Error ? death : new Error('registry process exited');
      try {
        const res = await request(`${url}/v2/`, { dispatcher, headersTimeout: 2_000, bodyTimeout: 2_000 });
        await res.body.dump();
        if (res.statusCode === 200 || res.statusCode === 401) return;
        last = `GET /v2/ answered ${res.statusCode}`;
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

async function killAndWait(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
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

/** Keeps the last few KiB a child printed: enough to explain a failed start. */
class LogTail {
  private buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > LOG_TAIL_BYTES) this.buffer = this.buffer.subarray(this.buffer.length - LOG_TAIL_BYTES);
  }
  text(): string {
    return this.buffer.toString('utf8').trim();
  }
}

// A registry outliving its parent (a crashed test run, Ctrl-C in the demo) would hold its port and
// data dir forever, so every live child is killed (and its temp dirs removed) synchronously when this
// process exits. Only 'exit' is hooked: taking over SIGINT/SIGTERM would change how the host exits.
const liveChildren = new Map<ChildProcess, () => void>();
let exitHookInstalled = false;

function track(child: ChildProcess, removeTempDirs: () => void): void {
  liveChildren.set(child, removeTempDirs);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [c, removeDirs] of liveChildren) {
      c.kill('SIGKILL');
      try {
        removeDirs();
      } catch {
        // best effort while exiting
      }
    }
  });
}

function untrack(child: ChildProcess): void {
  liveChildren.delete(child);
}
