/**
 * A reverse proxy in front of a test registry that misbehaves on request: rate limits, 5xx, dropped
 * connections, trickling or corrupted bodies, and blob redirects to a foreign "storage" host. It
 * records every exchange so tests can assert what the client did (how often it retried, whether it
 * sent credentials). Bodies stream through untouched unless a rule says otherwise, and client
 * connections are kept alive, so the client sees what it would see talking to the registry itself.
 */
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Socket } from 'node:net';
import { corruptByteAt, cutAfter, stallAfter, throttle } from './body-faults.js';
import { startRedirectStorage, type RedirectStorage } from './redirect-storage.js';

export type Fault =
  /** Answer without asking the registry; `retryAfter` in seconds, or a Date sent as an HTTP-date. */
  | { kind: 'status'; status: number; retryAfter?: number | Date; headers?: Record<string, string>; code?: string }
  /** Forward to the registry only after `ms` milliseconds, or once `until` settles (e.g. a restart). */
  | { kind: 'delay'; ms?: number; until?: Promise<unknown> }
  /** Read the request and never answer (the client, or the test, has to give up). */
  | { kind: 'hang' }
  /** Destroy the socket without a response. `afterUpstream`: only once the registry has acted on it. */
  | { kind: 'drop'; afterUpstream?: boolean }
  /** Send the registry's headers and the first `afterBytes` body bytes, then destroy the socket. */
  | { kind: 'dropMidBody'; afterBytes: number }
  | { kind: 'slowBody'; bytesPerSecond: number }
  /**
   * Serve the registry's tag list in pages of `pageSize`, linked with `Link: <…>; rel="next"` as
   * paginating registries do (Distribution itself does not). `nextOrigin` makes the link absolute.
   */
  | { kind: 'paginateTags'; pageSize: number; nextOrigin?: string }
  /** Send the first `afterBytes` body bytes, then nothing more while keeping the connection open. */
  | { kind: 'stallBody'; afterBytes: number }
  /** Flip one byte (default: the middle one); headers, Content-Length and digest header unchanged. */
  | { kind: 'corruptBody'; offset?: number }
  /** 307 (or the given status) to the storage host, which serves the blob from the registry. */
  | { kind: 'redirectToStorage'; status?: 301 | 302 | 303 | 307 | 308 }
  /** The registry's body (any status), read whole and replaced by `rewrite`'s; Content-Length follows. */
  | { kind: 'rewriteBody'; rewrite: (body: Buffer) => Buffer | string }
  /**
   * Answer without asking the registry, with a body made on the fly (e.g. hundreds of MiB or endless,
   * never held in memory). No Content-Length unless `headers` gives one: the body is chunked.
   */
  | { kind: 'generatedBody'; status?: number; headers?: Record<string, string>; body: () => Readable }
  /**
   * Answer with this content instead of the registry's (a hostile or ancient registry: schema 1, a
   * Content-Type that contradicts the document). `body` is called per request when a function; HEAD
   * gets the headers and Content-Length only.
   */
  | { kind: 'serve'; status?: number; headers: Record<string, string>; body: Buffer | (() => Buffer) };

export interface FaultRuleInit {
  /** Any method when absent. */
  method?: string;
  /** Tested against the path without the query string. */
  path: RegExp;
  /** How many matching requests the rule applies to; unlimited when absent. */
  times?: number;
  fault: Fault;
}

export interface FaultRule extends FaultRuleInit {
  hits: number;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The raw query string without `?`, '' when absent. */
  query: string;
  /** What the client got; 0 when the connection was dropped before a response. */
  status: number;
  hadAuthorization: boolean;
  /** The User-Agent header the client sent, if any. */
  userAgent?: string;
  /** The client's source port: equal ports on successive requests mean a reused connection. */
  clientPort: number | undefined;
  fault?: Fault['kind'];
  /** performance.now() when the request arrived and when its response finished (or the socket died). */
  startedAt: number;
  endedAt?: number;
}

/** One TCP connection a client opened to the proxy. */
export interface ProxiedConnection {
  clientPort: number | undefined;
  /** performance.now() when the proxy accepted it (the client's handshake had completed). */
  openedAt: number;
}

export interface FaultProxyOptions {
  /** The registry's CA, when the target speaks https. */
  targetCa?: string | Buffer;
}

export interface FaultProxy {
  url: string;
  host: string;
  readonly requests: ProxiedRequest[];
  /** Connections accepted since the last reset(), whether or not a request came on them. */
  readonly connections: ProxiedConnection[];
  readonly storage: RedirectStorage;
  /** Added to every response the proxy sends (e.g. Docker Hub's ratelimit-limit/-remaining). */
  extraHeaders: Record<string, string>;
  /**
   * Docker Hub-style pull accounting: when set, every response carries `ratelimit-limit` and
   * `ratelimit-remaining` (`N;w=window`), and each manifest GET that reaches the registry takes one
   * from `remaining` (HEADs are free, as on Docker Hub). Cleared by reset().
   */
  rateLimit: { limit: number; remaining: number; window?: number } | undefined;
  /** Send upload `Location`s as relative paths (query kept), as some registries do. Cleared by reset(). */
  relativeLocations: boolean;
  addRule(rule: FaultRuleInit): FaultRule;
  clearRules(): void;
  count(method: string, path: RegExp): number;
  /** Clears recorded requests (here and at the storage host), rules and extra headers. */
  reset(): void;
  stop(): Promise<void>;
}

/** The request path for blob downloads, the usual target of `redirectToStorage`. */
export const BLOB_GET_PATH = /^\/v2\/.+\/blobs\/sha(256|512):[a-f0-9]+$/;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

export async function startFaultProxy(targetUrl: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const tls = target.protocol === 'https:';
  const agent = tls ? new HttpsAgent({ keepAlive: true, ca: options.targetCa }) : new HttpAgent({ keepAlive: true });
  const storage = await startRedirectStorage(target.origin, options.targetCa);
  const requests: ProxiedRequest[] = [];
  let rules: FaultRule[] = [];
  const state = { extraHeaders: {} as Record<string, string>, rateLimit: undefined as FaultProxy['rateLimit'], relativeLocations: false };
  const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/;

  const server = createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 60_000;
  const connections: ProxiedConnection[] = [];
  server.on('connection', (socket) => connections.push({ clientPort: socket.remotePort, openedAt: performance.now() }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `http://${host}`;

  function takeRule(method: string, path: string): FaultRule | undefined {
    const rule = rules.find(
      (r) => (r.method === undefined || r.method.toUpperCase() === method) && r.path.test(path) && r.hits < (r.times ?? Infinity),
    );
    if (rule) rule.hits++;
    return rule;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const record: ProxiedRequest = {
      method: req.method ?? '',
      path,
      query: q === -1 ? '' : raw.slice(q + 1),
      status: 0,
      hadAuthorization: req.headers.authorization !== undefined,
      userAgent: req.headers['user-agent'],
      clientPort: req.socket.remotePort,
      startedAt: performance.now(),
    };
    res.on('close', () => {
      record.endedAt = performance.now();
    });
    requests.push(record);
    const fault = takeRule(record.method, path)?.fault;
    if (fault) record.fault = fault.kind;
    const quota = state.rateLimit;
    if (quota && !fault && record.method === 'GET' && MANIFEST_PATH.test(path) && quota.remaining > 0) quota.remaining--;
    const respond = (status: number, headers: OutgoingHttpHeaders): void => {
      record.status = status;
      const limits = quota ? { 'ratelimit-limit': `${quota.limit};w=${quota.window ?? 21600}`, 'ratelimit-remaining': `${quota.remaining};w=${quota.window ?? 21600}` } : {};
      res.writeHead(status, { ...headers, ...limits, ...state.extraHeaders });
    };

    if (fault?.kind === 'status') {
      return afterRequestBody(req, () => {
        const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', ...fault.headers };
        if (fault.retryAfter !== undefined) {
          headers['retry-after'] = fault.retryAfter instanceof Date ? fault.retryAfter.toUTCString() : String(fault.retryAfter);
        }
        respond(fault.status, headers);
        res.end(JSON.stringify({ errors: [{ code: fault.code ?? errorCodeFor(fault.status), message: 'injected by fault proxy' }] }));
      });
    }
    if (fault?.kind === 'generatedBody') {
      return afterRequestBody(req, () => {
        respond(fault.status ?? 200, { 'content-type': 'application/json', ...fault.headers });
        pipeline(fault.body(), res, () => undefined);
      });
    }
    if (fault?.kind === 'hang') {
      req.resume();
      return;
    }
    if (fault?.kind === 'drop' && !fault.afterUpstream) {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'serve') {
      return afterRequestBody(req, () => {
        const body = typeof fault.body === 'function' ? fault.body() : fault.body;
        respond(fault.status ?? 200, { ...fault.headers, 'content-length': String(body.length) });
        res.end(record.method === 'HEAD' ? undefined : body);
      });
    }
    if (fault?.kind === 'redirectToStorage') {
      return afterRequestBody(req, () => {
        respond(fault.status ?? 307, { location: storage.signUrl(path, req.headers.authorization), 'content-length': '0' });
        res.end();
      });
    }

    if (fault?.kind === 'delay') {
      const waited = fault.until ?? new Promise((resolve) => setTimeout(resolve, fault.ms ?? 0));
      waited.then(() => forward(req, res, raw, path, record, undefined, respond), () => forward(req, res, raw, path, record, undefined, respond));
      return;
    }
    forward(req, res, raw, path, record, fault, respond);
  }

  function forward(
    req: IncomingMessage, res: ServerResponse, raw: string, path: string, record: ProxiedRequest, fault: Fault | undefined,
    respond: (status: number, headers: OutgoingHttpHeaders) => void,
  ): void {
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    // The registry builds Location URLs from Host and X-Forwarded-Proto: keep the client on the proxy.
    headers['x-forwarded-proto'] = 'http';
    const send = tls ? httpsRequest : httpRequest;
    const upstream = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: raw, headers, agent });
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      respond(502, { 'content-type': 'text/plain' });
      res.end('fault proxy: upstream unreachable');
    });
    upstream.on('response', (up) => {
      if (fault?.kind === 'drop') {
        up.destroy();
        req.socket.destroy();
        return;
      }
      const outHeaders: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) outHeaders[k] = v;
      if (fault?.kind === 'paginateTags' && up.statusCode === 200) {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const page = tagPage(JSON.parse(Buffer.concat(chunks).toString('utf8')), path, record.query, fault.pageSize, fault.nextOrigin);
          delete outHeaders['content-length'];
          respond(200, { ...outHeaders, ...(page.link ? { link: page.link } : {}), 'content-length': String(page.body.length) });
          res.end(page.body);
        });
        return;
      }
      if (fault?.kind === 'rewriteBody') {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const out = Buffer.from(fault.rewrite(Buffer.concat(chunks)));
          respond(up.statusCode ?? 502, { ...outHeaders, 'content-length': String(out.length) });
          res.end(out);
        });
        return;
      }
      if (typeof outHeaders.location === 'string' && outHeaders.location.startsWith(target.origin)) {
        const rest = outHeaders.location.slice(target.origin.length);
        outHeaders.location = state.relativeLocations ? rest : url + rest;
      }
      // The client may have gone (a killed CLI) while the registry was answering.
      if (res.destroyed) {
        up.resume();
        return;
      }
      respond(up.statusCode ?? 502, outHeaders);
      const transform = bodyTransform(fault, up, res);
      const onDone = (): void => undefined;
      if (transform) pipeline(up, transform, res, onDone);
      else pipeline(up, res, onDone);
    });
    pipeline(req, upstream, () => undefined);
  }

  return {
    url,
    host,
    requests,
    connections,
    storage,
    get extraHeaders() {
      return state.extraHeaders;
    },
    set extraHeaders(v: Record<string, string>) {
      state.extraHeaders = v;
    },
    get rateLimit() {
      return state.rateLimit;
    },
    get relativeLocations() {
      return state.relativeLocations;
    },
    set relativeLocations(v: boolean) {
      state.relativeLocations = v;
    },
    set rateLimit(v: FaultProxy['rateLimit']) {
      state.rateLimit = v;
    },
    addRule(init) {
      const rule: FaultRule = { ...init, hits: 0 };
      rules.push(rule);
      return rule;
    },
    clearRules: () => void (rules = []),
    count: (method, pattern) => requests.filter((r) => r.method === method.toUpperCase() && pattern.test(r.path)).length,
    reset() {
      requests.splice(0);
      connections.splice(0);
      storage.reset();
      rules = [];
      state.extraHeaders = {};
      state.rateLimit = undefined;
      state.relativeLocations = false;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      await storage.stop();
    },
  };
}

function bodyTransform(fault: Fault | undefined, up: IncomingMessage, res: ServerResponse): Transform | undefined {
  switch (fault?.kind) {
    case 'slowBody':
      return throttle(fault.bytesPerSecond);
    case 'corruptBody': {
      const length = Number(up.headers['content-length'] ?? 0);
      return corruptByteAt(fault.offset ?? Math.floor(length / 2));
    }
    case 'stallBody':
      return stallAfter(fault.afterBytes);
    case 'dropMidBody': {
      // Captured now: once the (short) upstream body ends, res detaches from its socket, and a cut
      // made later would leave the client waiting on a live connection instead of seeing a drop.
      const socket = res.socket;
      return cutAfter(fault.afterBytes, () => destroyWhenFlushed(res, socket));
    }
    default:
      return undefined;
  }
}

/** Destroys the connection once what was written has left for the kernel, so the cut lands exactly. */
function destroyWhenFlushed(res: ServerResponse, socket: Socket | null, deadline = Date.now() + 1_000): void {
  // The socket is captured when the cut is decided: res.socket may be detached by the time we look.
  if (!socket || socket.destroyed) return;
  if ((res.writableLength === 0 && socket.writableLength === 0) || Date.now() > deadline) {
    socket.destroy();
    return;
  }
  setTimeout(() => destroyWhenFlushed(res, socket, deadline), 5);
}

/** Reads (and discards) a request body before answering, so the connection stays usable. */
function afterRequestBody(req: IncomingMessage, then: () => void): void {
  if (req.complete) return then();
  req.on('end', then);
  req.resume();
}

function errorCodeFor(status: number): string {
  if (status === 429) return 'TOOMANYREQUESTS';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NAME_UNKNOWN';
  return 'UNAVAILABLE';
}


/** One page of a tag list, sorted, starting after `last`, with a rel="next" link when more remain. */
function tagPage(doc: { name: string; tags: string[] | null }, path: string, query: string, pageSize: number, nextOrigin = ''): { body: Buffer; link?: string } {
  const all = [...(doc.tags ?? [])].sort();
  const last = new URLSearchParams(query).get('last');
  const start = last === null ? 0 : all.findIndex((t) => t > last);
  const tags = start === -1 ? [] : all.slice(start, start + pageSize);
  const more = start !== -1 && start + pageSize < all.length;
  const link = more ? `<${nextOrigin}${path}?n=${pageSize}&last=${encodeURIComponent(tags[tags.length - 1]!)}>; rel="next"` : undefined;
  return { body: Buffer.from(JSON.stringify({ name: doc.name, tags })), link };
}

/** The most requests matching `pick` that were in flight at the same moment. */
export function peakConcurrency(requests: readonly ProxiedRequest[], pick: (r: ProxiedRequest) => boolean): number {
  const events = requests.filter(pick).flatMap((r) => [[r.startedAt, 1], [r.endedAt ?? Infinity, -1]] as const);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, delta] of events) peak = Math.max(peak, (now += delta));
  return peak;
}
