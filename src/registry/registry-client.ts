/**
 * The registry API client: one object per process (or per caller) that owns connection pools, the
 * auth state and the token cache for every host it talks to. Requests are composed from transport
 * layers over an undici dispatcher that callers may inject.
 *
 * Each registry host gets its own pipeline, so everything a request to it reaches (its token realm,
 * the storage hosts it redirects to) is spoken to with that registry's TLS settings.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
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
import { Preconnector } from '../transport/preconnect.js';
import { Agent, buildConnector } from '../transport/undici-parts.js';
import { RegistryRepository } from './registry-repository.js';

/**
 * How one registry is spoken to. The names follow oras and regctl: `plainHttp` is http to a
 * non-loopback host, `insecure` is https without certificate verification.
 */
export interface HostOptions {
  /** Explicit scheme (a topology URL's); wins over the loopback and `plainHttp` defaults. */
  scheme?: 'http' | 'https';
  /** Speak plain http to this host (loopback hosts do already, unless TLS settings are given). */
  plainHttp?: boolean;
  /** PEM file of the CA that signed the registry's certificate. */
  caFile?: string;
  /** https without certificate verification; for throwaway test setups only. */
  insecure?: boolean;
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


/**
 * Keep-alive pools are what make many small blobs cheap; 16 connections per origin cover the default
 * 8 parallel blob transfers plus manifest and HEAD traffic on the same host.
 */
export const CONNECTIONS_PER_ORIGIN = 16;

export class RegistryClient {
  private readonly options: RegistryClientOptions;
  private readonly hosts = new Map<string, ResolvedHost>();
  private readonly agents = new Map<string, Dispatcher>();
  private readonly ownedAgents: Dispatcher[] = [];
  private readonly preconnectors = new Map<Dispatcher, { agent: InstanceType<typeof Agent>; preconnector: Preconnector }>();
  private readonly defaultDispatcher: Dispatcher;
  /** Sent with every request, upload sessions included. */
  readonly userAgent: string;
  /** The attempt budget of every operation through this client (retry layer and self-retrying uploads). */
  readonly retry: RetryOptions;
  private readonly pipelines = new Map<string, Send>();
  private readonly build: (registry: string | undefined) => Send;
  /** The full pipeline for registry requests: routed by `authHost` to that registry's pipeline. */
  readonly send: Send;

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.userAgent = options.userAgent ?? 'regtopo';
    this.defaultDispatcher = options.dispatcher ?? this.ownAgent({});
    for (const [host, hostOptions] of Object.entries(options.hosts ?? {})) this.hosts.set(canonicalHost(host), resolveHostOptions(host, hostOptions, options.defaults));
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    this.retry = retry;
    // undici waits 300 s by default; a minute of silence already means a stuck peer, and a retry
    // is cheaper for a CI step than five minutes of nothing.
    const timeouts = { headersMs: 60_000, bodyMs: 60_000, ...options.timeouts };
    const logging = options.logger ? [loggingLayer(options.logger)] : [];
    const base = (registry: string | undefined) => dispatchSend((origin) => this.dispatcherFor(registry, origin), timeouts);
    // Token requests carry their own credentials and never go through the auth layer; they use the
    // TLS settings of the registry that named the realm.
    const tokenSend = (registry: string | undefined) => compose(base(registry), retryLayer(retry), redirectLayer(), ...logging);
    const tokens = new BearerTokenCache(tokenSend(undefined), (registry) => this.pipeline(`token|${registry}`, () => tokenSend(registry)));
    const credentials = options.credentials ?? dockerConfigCredentials();
    // One auth layer (one challenge table) for all pipelines. It sits inside the redirect layer, so it
    // sees each hop on its own: a redirect target's 401 is never taken for the registry's challenge,
    // and a hop to another origin carries no authHost, hence no credentials.
    // Logging sits innermost so -v shows every exchange on the wire: 401 challenges, retries, redirects.
    const auth = authLayer({ credentials, tokens });
    this.build = (registry) => compose(base(registry), retryLayer(retry), redirectLayer(), auth, ...logging, ...(options.layers ?? []));
    this.send = (req) => {
      const registry = req.authHost === undefined ? undefined : canonicalHost(req.authHost);
      return this.pipeline(registry ?? '', () => this.build(registry))(req);
    };
  }

  /** The ImageStore for one repository; with `signal`, each of its operations stops when it fires. */
  repository(ref: Reference | { registry: string; repository: string }, options: { signal?: AbortSignal } = {}): RegistryRepository {
    return new RegistryRepository(this, canonicalHost(ref.registry), ref.repository, options);
  }

  /** Absolute URL for an API path on a registry host. */
  url(host: string, path: string): string {
    assertNoDotSegments(host, path);
    return `${this.host(host).scheme}://${apiHost(host)}${path}`;
  }

  /** Sends with this client's user agent and auth for `host`. */
  request(host: string, req: Omit<HttpRequest, 'url' | 'authHost'> & { path: string }): Promise<HttpResponse> {
    const { path, ...rest } = req;
    return this.send({ ...rest, url: this.url(host, path), authHost: canonicalHost(host), headers: { 'user-agent': this.userAgent, ...rest.headers } });
  }

  /** GET /v2/ with auth: status 200 means reachable and (if required) authenticated. */
  async ping(host: string, options: { signal?: AbortSignal } = {}): Promise<{ status: number; authenticate?: string }> {
    const res = await this.request(host, { method: 'GET', path: '/v2/', ...(options.signal ? { signal: options.signal } : {}) });
    await discard(res);
    return { status: res.status, authenticate: res.headers['www-authenticate'] };
  }

  /**
   * Dials connections to `host` for a burst of `count` requests about to be sent, so none of them
   * waits for a handshake (transport/preconnect.ts): a copy calls it once its HEADs say it will write.
   * Idle connections of the pool and spares already dialling count towards `count`, and the pool's
   * limit is never exceeded. Best effort: never throws, and does nothing on an injected dispatcher.
   */
  preconnect(host: string, count: number): void {
    try {
      const own = this.ownPool(host);
      if (!own) return;
      const { origin, agent, preconnector } = own;
      const stats = agent.stats[origin.origin] as { connected?: number; free?: number } | undefined;
      const spares = preconnector.spareCount(origin);
      const room = CONNECTIONS_PER_ORIGIN - (stats?.connected ?? 0) - spares;
      const wanted = Math.min(count, CONNECTIONS_PER_ORIGIN) - (stats?.free ?? 0) - spares;
      const n = Math.min(room, wanted);
      if (n > 0) preconnector.open(origin, n);
    } catch {
      // Speculative: the requests themselves will dial, and meet any real error.
    }
  }

  /**
   * Takes `socket`, a TCP connection the caller opened to `port` of `host` (connected or still
   * connecting; the CLI opens them before it has loaded, see cli/early-dial.ts), for the client's
   * next request to that registry: upgraded to TLS first when the registry speaks https. Returns
   * false, and leaves the socket to the caller, when that is not the registry's API origin (another
   * scheme's port) or the client uses an injected dispatcher.
   */
  adoptConnection(host: string, port: number, socket: Socket): boolean {
    try {
      const own = this.ownPool(host);
      if (!own) return false;
      const { origin, preconnector } = own;
      if (Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)) !== port) return false;
      preconnector.adopt(origin, socket);
      return true;
    } catch {
      return false;
    }
  }

  /** The API origin of `host` and the pool of our own that serves it; undefined on an injected dispatcher. */
  private ownPool(host: string): { origin: URL; agent: InstanceType<typeof Agent>; preconnector: Preconnector } | undefined {
    const origin = new URL(this.url(host, '/v2/'));
    const own = this.preconnectors.get(this.dispatcherFor(canonicalHost(host), origin));
    return own && { origin, ...own };
  }

  async close(): Promise<void> {
    for (const { preconnector } of this.preconnectors.values()) preconnector.close();
    await Promise.all(this.ownedAgents.map((a) => a.close()));
  }

  private host(host: string): ResolvedHost {
    const key = canonicalHost(host);
    let resolved = this.hosts.get(key);
    if (!resolved) {
      resolved = resolveHostOptions(key, this.options.defaults ?? {});
      this.hosts.set(key, resolved);
    }
    return resolved;
  }

  private pipeline(key: string, make: () => Send): Send {
    let send = this.pipelines.get(key);
    if (!send) this.pipelines.set(key, (send = make()));
    return send;
  }

  /**
   * The dispatcher for one exchange of a request made on behalf of `registry`. Its own origin uses
   * its TLS settings as given; other origins it leads to (token realm, redirect targets) inherit them,
   * with the private CA added to the public roots, since object storage usually has a public
   * certificate. Requests for no registry use the settings of a configured host with that origin.
   */
  private dispatcherFor(registry: string | undefined, origin: URL): Dispatcher {
    if (origin.protocol !== 'https:') return this.defaultDispatcher;
    let settings: ResolvedHost | undefined;
    let own = true;
    if (registry !== undefined) {
      settings = this.host(registry);
      own = apiHost(registry) === origin.host;
    } else {
      settings = [...this.hosts.entries()].find(([h]) => apiHost(h) === origin.host)?.[1];
    }
    if (!settings || (!settings.caFile && !settings.insecure)) return this.defaultDispatcher;
    const key = `${settings.caFile ?? ''}|${settings.insecure ? 'insecure' : 'verify'}|${own ? 'own' : 'inherited'}`;
    const cached = this.agents.get(key);
    if (cached) return cached;
    let ca: string | string[] | undefined;
    if (settings.caFile) {
      let pem: string;
      try {
        pem = readFileSync(settings.caFile, 'utf8');
      } catch (err) {
        throw new RegtopoError('E_CONFIG', `cannot read CA file ${settings.caFile} for ${registry ?? origin.host}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      // node:tls costs 6-9 ms to load (Node 20 and 24) and only this rare case needs it at once.
      ca = own ? pem : [...process.getBuiltinModule('node:tls').rootCertificates, pem];
    }
    const agent = this.ownAgent({ ca, rejectUnauthorized: !settings.insecure });
    this.agents.set(key, agent);
    return agent;
  }

  /** A keep-alive Agent whose pools can be given connections ahead of time (preconnect()). */
  private ownAgent(tls: { ca?: string | string[]; rejectUnauthorized?: boolean }): Dispatcher {
    const preconnector = new Preconnector(buildConnector(tls));
    const agent = new Agent({ connections: CONNECTIONS_PER_ORIGIN, keepAliveTimeout: 10_000, connect: preconnector.connect });
    this.ownedAgents.push(agent);
    this.preconnectors.set(agent, { agent, preconnector });
    return agent;
  }
}

/**
 * The scheme for a host: an explicit one (a topology URL's) wins; then `plainHttp`; then loopback
 * hosts speak http like Docker unless TLS settings (a CA, `insecure`) say the registry is https.
 */
export function resolveHostOptions(host: string, own: HostOptions, defaults?: HostOptions): HostOptions & { scheme: 'http' | 'https' } {
  // Keys a host leaves undefined keep the defaults' values (a flag's --ca-file reaches topology hosts).
  const merged: HostOptions = { ...defaults };
  for (const [k, v] of Object.entries(own) as Array<[keyof HostOptions, never]>) if (v !== undefined) merged[k] = v;
  const tlsAsked = Boolean(merged.caFile || merged.insecure);
  const scheme = merged.scheme ?? (merged.plainHttp || (isLoopbackHost(host) && !tlsAsked) ? 'http' : 'https');
  return { ...merged, scheme };
}

/**
 * A path built from registry-supplied names (tags, digests, Locations) must not climb out of the
 * repository: URL parsing would silently resolve `x/../../secret` to another repository's path, and
 * send this registry's credentials there. Refused here, the one place API URLs are built.
 */
function assertNoDotSegments(host: string, path: string): void {
  const q = path.indexOf('?');
  for (const segment of (q === -1 ? path : path.slice(0, q)).split('/')) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // Not percent-decodable: cannot be a dot segment either.
    }
    if (decoded === '.' || decoded === '..') {
      throw new RegtopoError('E_REF_INVALID', `refusing request path with a "${decoded}" segment on ${host}: ${JSON.stringify(path.slice(0, 200))}`);
    }
  }
}
