/**
 * The registry API client: one object per process (or per caller) that owns connection pools, the
 * auth state and the token cache for every host it talks to. Requests are composed from transport
 * layers over an undici dispatcher that callers may inject.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { authLayer } from '../auth/auth-layer.js';
import { BearerTokenCache } from '../auth/bearer-token.js';
import type { CredentialProvider } from '../auth/credential.js';
import { dockerConfigCredentials } from '../auth/docker-config.js';
import { RegtopoError } from '../errors.js';
import type { Reference } from '../ref/reference.js';
import { apiHost, canonicalHost, isLoopbackHost } from '../ref/registry-host.js';
import { dispatchSend } from '../transport/dispatch.js';
import { compose, discard, type HttpRequest, type HttpResponse, type Layer, type Send } from '../transport/http-types.js';
import { loggingLayer, type Logger } from '../transport/logging.js';
import { redirectLayer } from '../transport/redirect.js';
import { DEFAULT_RETRY, retryLayer, type RetryOptions } from '../transport/retry.js';
import { Agent } from '../transport/undici-parts.js';
import { RegistryRepository } from './registry-repository.js';

export interface HostOptions {
  /** Explicit scheme (a topology URL's); wins over the loopback and `insecure` defaults. */
  scheme?: 'http' | 'https';
  /** Plain http for a non-loopback host (loopback hosts default to http already). */
  insecure?: boolean;
  /** PEM file of the CA that signed the registry's certificate. */
  caFile?: string;
  /** false accepts any certificate; for throwaway test setups only. */
  tlsVerify?: boolean;
}

export interface RegistryClientOptions {
  /** Used for every host without TLS settings of its own; default: a keep-alive undici Agent. */
  dispatcher?: Dispatcher;
  /** Default: ~/.docker/config.json (or $DOCKER_CONFIG) with its credential helpers. */
  credentials?: CredentialProvider;
  /** Per-host settings, keyed by host[:port] as written in references. */
  hosts?: Record<string, HostOptions>;
  /** Settings for hosts not listed in `hosts`. */
  defaults?: HostOptions;
  retry?: Partial<RetryOptions>;
  /**
   * Longest wait for response headers, and for the next body chunk. A registry (or a proxy) that
   * stalls longer is treated as a dropped connection and retried.
   */
  timeouts?: { headersMs?: number; bodyMs?: number };
  /** Receives one redacted line per request when set (`-v`). */
  logger?: Logger;
  userAgent?: string;
  /**
   * Extra transport layers, innermost (each sees every request on the wire, retries included).
   * Mirroring adds Docker Hub rate-limit accounting this way.
   */
  layers?: Layer[];
}

interface ResolvedHost extends HostOptions {
  scheme: 'http' | 'https';
}


export class RegistryClient {
  private readonly options: RegistryClientOptions;
  private readonly hosts = new Map<string, ResolvedHost>();
  private readonly agents = new Map<string, Dispatcher>();
  private readonly ownedAgents: Dispatcher[] = [];
  private readonly defaultDispatcher: Dispatcher;
  /** Sent with every request, upload sessions included. */
  readonly userAgent: string;
  /** The attempt budget of every operation through this client (retry layer and self-retrying uploads). */
  readonly retry: RetryOptions;
  /** The full pipeline used for registry requests. */
  readonly send: Send;

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.userAgent = options.userAgent ?? 'regtopo';
    // Keep-alive pools are what make many small blobs cheap; 16 connections per origin cover the
    // default 8 parallel blob transfers plus manifest and HEAD traffic on the same host.
    this.defaultDispatcher = options.dispatcher ?? this.own(new Agent({ connections: 16, keepAliveTimeout: 10_000 }));
    for (const [host, hostOptions] of Object.entries(options.hosts ?? {})) this.hosts.set(canonicalHost(host), resolveHost(host, hostOptions, options.defaults));
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    this.retry = retry;
    // undici waits 300 s by default; a minute of silence already means a stuck peer, and a retry
    // is cheaper for a CI step than five minutes of nothing.
    const timeouts = { headersMs: 60_000, bodyMs: 60_000, ...options.timeouts };
    const base = dispatchSend((origin) => this.dispatcherFor(origin), timeouts);
    const logging = options.logger ? [loggingLayer(options.logger)] : [];
    // Token requests carry their own credentials and never go through the auth layer.
    const tokens = new BearerTokenCache(compose(base, retryLayer(retry), redirectLayer(), ...logging));
    const credentials = options.credentials ?? dockerConfigCredentials();
    // Logging sits innermost so -v shows every exchange on the wire: 401 challenges, retries, redirects.
    const layers = [retryLayer(retry), authLayer({ credentials, tokens }), redirectLayer()];
    this.send = compose(base, ...layers, ...logging, ...(options.layers ?? []));
  }

  /** The ImageStore for one repository; with `signal`, each of its operations stops when it fires. */
  repository(ref: Reference | { registry: string; repository: string }, options: { signal?: AbortSignal } = {}): RegistryRepository {
    return new RegistryRepository(this, canonicalHost(ref.registry), ref.repository, options);
  }

  /** Absolute URL for an API path on a registry host. */
  url(host: string, path: string): string {
    return `${this.host(host).scheme}://${apiHost(host)}${path}`;
  }

  /** Sends with this client's user agent and auth for `host`. */
  request(host: string, req: Omit<HttpRequest, 'url' | 'authHost'> & { path: string }): Promise<HttpResponse> {
    const { path, ...rest } = req;
    return this.send({ ...rest, url: this.url(host, path), authHost: canonicalHost(host), headers: { 'user-agent': this.userAgent, ...rest.headers } });
  }

  /** GET /v2/ with auth: status 200 means reachable and (if required) authenticated. */
  async ping(host: string): Promise<{ status: number; authenticate?: string }> {
    const res = await this.request(host, { method: 'GET', path: '/v2/' });
    await discard(res);
    return { status: res.status, authenticate: res.headers['www-authenticate'] };
  }

  async close(): Promise<void> {
    await Promise.all(this.ownedAgents.map((a) => a.close()));
  }

  private host(host: string): ResolvedHost {
    const key = canonicalHost(host);
    let resolved = this.hosts.get(key);
    if (!resolved) {
      resolved = resolveHost(key, this.options.defaults ?? {}, undefined);
      this.hosts.set(key, resolved);
    }
    return resolved;
  }

  private dispatcherFor(origin: URL): Dispatcher {
    const cached = this.agents.get(origin.origin);
    if (cached) return cached;
    const settings = [...this.hosts.entries()].find(([h]) => apiHost(h) === origin.host)?.[1];
    let agent = this.defaultDispatcher;
    if (settings && origin.protocol === 'https:' && (settings.caFile || settings.tlsVerify === false)) {
      let ca: string | undefined;
      if (settings.caFile) {
        try {
          ca = readFileSync(settings.caFile, 'utf8');
        } catch (err) {
          throw new RegtopoError('E_CONFIG', `cannot read CA file ${settings.caFile} for ${origin.host}: ${(err as NodeJS.ErrnoException).code ?? err}`);
        }
      }
      agent = this.own(new Agent({ connections: 16, keepAliveTimeout: 10_000, connect: { ca, rejectUnauthorized: settings.tlsVerify !== false } }));
    }
    this.agents.set(origin.origin, agent);
    return agent;
  }

  private own(agent: Dispatcher): Dispatcher {
    this.ownedAgents.push(agent);
    return agent;
  }
}

/** Loopback hosts speak http like Docker; everything else https unless explicitly insecure. */
function resolveHost(host: string, own: HostOptions, defaults: HostOptions | undefined): ResolvedHost {
  const merged = { ...defaults, ...own };
  const scheme = merged.scheme ?? (merged.insecure || (isLoopbackHost(host) && !merged.caFile) ? 'http' : 'https');
  return { ...merged, scheme };
}
