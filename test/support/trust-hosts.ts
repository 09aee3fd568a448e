/**
 * Hosts for credential-safety tests: a recording server that plays a hostile storage host or token
 * realm, a TLS front that puts any local http server behind https with a test CA, registries that
 * share one token realm, and bodies generated on the fly (hundreds of MiB, or endless) that are never
 * held in memory.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { startLocalRegistry, type LocalRegistry, type LocalRegistryOptions } from '../../src/demo/local-registry.js';
import { makeTokenSigningPki, type ServerPki } from './pki.js';
import { TOKEN_ISSUER, TOKEN_SERVICE } from './registry.js';
import { startTokenServer, type TokenGrant, type TokenServer, type TokenUser } from './token-server.js';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface RecordingServer {
  /** host:port */
  host: string;
  url: string;
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * An http server answering every request with `answer` and recording what it was sent. Listens on
 * 127.0.0.2 where it can (another origin than the registry on 127.0.0.1), else 127.0.0.1.
 */
export async function startRecordingServer(answer: (req: IncomingMessage, res: ServerResponse) => void, address?: string): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    req.on('end', () => answer(req, res));
  });
  const bound = address ? (await listen(server, address), address) : await listenForeign(server);
  const host = `${bound}:${(server.address() as AddressInfo).port}`;
  return { host, url: `http://${host}`, requests, stop: () => close(server) };
}

export interface TlsFront {
  host: string;
  url: string;
  stop(): Promise<void>;
}

/** https on 127.0.0.1 (the test certificate's SAN) in front of an http server; bodies stream through. */
export async function startTlsFront(targetUrl: string, pki: ServerPki): Promise<TlsFront> {
  const target = new URL(targetUrl);
  const server = createHttpsServer({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) }, (req, res) => {
    const headers = { ...req.headers, host: target.host };
    const up = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(up);
  });
  await listen(server, '127.0.0.1');
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { host, url: `https://${host}`, stop: () => close(server) };
}

export interface SharedRealm {
  tokenServer: TokenServer;
  registries: LocalRegistry[];
  /** The one user every registry's token service knows, allowed everything. */
  username: string;
  password: string;
  stop(): Promise<void>;
}

/**
 * `count` Distribution registries whose token challenges all name one realm and service, as
 * registries behind one identity provider do. `realm` overrides what the challenge names (a TLS front).
 */
export async function startSharedRealmRegistries(count: number, opts: { anonymous?: TokenGrant[]; users?: Record<string, TokenUser>; tls?: ServerPki; realm?: (tokenServer: TokenServer) => Promise<string> } = {}): Promise<SharedRealm> {
  const pki = await makeTokenSigningPki();
  const username = 'alice';
  const password = randomBytes(12).toString('base64url');
  const tokenServer = await startTokenServer({
    signingKeyPem: pki.keyPem,
    signingCertPem: pki.certPem,
    issuer: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    users: { [username]: { password, grants: [{ repo: '**', actions: ['pull', 'push', 'delete'] }] }, ...opts.users },
    anonymous: opts.anonymous ?? [],
  });
  const realm = opts.realm ? await opts.realm(tokenServer) : tokenServer.realm;
  const base: LocalRegistryOptions = {
    storage: 'inmemory',
    auth: { token: { realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootCertBundle: pki.certFile } },
    ...(opts.tls && { tls: { certificate: opts.tls.certFile, key: opts.tls.keyFile, ca: opts.tls.caFile } }),
  };
  const registries = await Promise.all(Array.from({ length: count }, () => startLocalRegistry(base)));
  return {
    tokenServer, registries, username, password,
    async stop() {
      await Promise.all(registries.map((r) => r.stop()));
      await tokenServer.stop();
      await pki.remove();
    },
  };
}

/**
 * `prefix` then filler bytes, `total` bytes in all (Infinity: never ends), made in 64 KiB chunks as
 * the reader pulls them, so the server side never holds more than one chunk.
 */
export function generatedBody(prefix: string, total: number, filler = 'a'): Readable {
  const chunk = Buffer.alloc(64 << 10, filler);
  let sent = 0;
  return new Readable({
    read() {
      if (sent === 0) {
        const head = Buffer.from(prefix);
        sent += head.length;
        this.push(head);
        return;
      }
      if (sent >= total) return void this.push(null);
      const piece = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk;
      sent += piece.length;
      this.push(piece);
    },
  });
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function listenForeign(server: Server): Promise<string> {
  try {
    await listen(server, '127.0.0.2');
    return '127.0.0.2';
  } catch {
    await listen(server, '127.0.0.1');
    return '127.0.0.1';
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
