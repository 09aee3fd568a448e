/**
 * A stand-in for the object storage a registry redirects blob downloads to (S3, GCS, a CDN). It
 * listens on a different loopback host than the registry (127.0.0.2; Linux routes all of 127/8 to
 * `lo`), so clients treat it as a foreign origin, and it records whether each request carried an
 * Authorization header: a registry credential reaching it is a leak.
 *
 * URLs are pre-signed in spirit: the proxy mints a ticket per redirect that remembers which blob to
 * serve and the credential to fetch it from the registry with, and the ticket rides in a signature-like
 * query parameter that logs must not print.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface StorageRequestRecord {
  method: string;
  path: string;
  hadAuthorization: boolean;
  status: number;
}

export interface RedirectStorage {
  /** `127.0.0.2:PORT`, or `localhost:PORT` where 127.0.0.2 cannot be bound. */
  host: string;
  url: string;
  readonly requests: StorageRequestRecord[];
  /** A URL serving `/v2/<name>/blobs/<digest>` of the registry, fetched with `authorization`. */
  signUrl(blobPath: string, authorization: string | undefined): string;
  reset(): void;
  stop(): Promise<void>;
}

interface Ticket {
  blobPath: string;
  authorization: string | undefined;
}

const SIGNATURE_PARAM = 'X-Amz-Signature';
// What object storage would send back; registry-specific headers like Docker-Content-Digest are
// deliberately absent, as they are from real storage backends.
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag'];

export async function startRedirectStorage(registryUrl: string, registryCa?: string | Buffer): Promise<RedirectStorage> {
  const registry = new URL(registryUrl);
  const tickets = new Map<string, Ticket>();
  const requests: StorageRequestRecord[] = [];

  const server = createServer((req, res) => serve(req, res));
  server.keepAliveTimeout = 30_000;

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://storage.invalid');
    const record: StorageRequestRecord = {
      method: req.method ?? '',
      path: url.pathname,
      hadAuthorization: req.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(record);
    const ticket = tickets.get(url.searchParams.get(SIGNATURE_PARAM) ?? '');
    if (!ticket || (req.method !== 'GET' && req.method !== 'HEAD')) {
      record.status = 403;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
      return;
    }
    const headers: Record<string, string> = {};
    if (ticket.authorization) headers.authorization = ticket.authorization;
    if (req.headers.range) headers.range = req.headers.range;
    const send = registry.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send(
      new URL(ticket.blobPath, registry),
      { method: req.method, headers, ...(registryCa ? { ca: registryCa } : {}) },
      (up) => {
        record.status = up.statusCode ?? 502;
        const out: Record<string, string | string[]> = {};
        for (const h of PASSED_HEADERS) {
          const v = up.headers[h];
          if (v !== undefined) out[h] = v;
        }
        res.writeHead(record.status, out);
        up.pipe(res);
        res.on('close', () => up.destroy());
      },
    );
    upstream.on('error', () => {
      record.status = 502;
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    upstream.end();
  }

  const host = await listenOnForeignLoopback(server);
  const url = `http://${host}`;
  return {
    host,
    url,
    requests,
    signUrl(blobPath, authorization) {
      const id = randomBytes(16).toString('hex');
      tickets.set(id, { blobPath, authorization });
      const digest = blobPath.slice(blobPath.lastIndexOf('/') + 1);
      return `${url}/storage/${digest}?${SIGNATURE_PARAM}=${id}`;
    },
    reset: () => void requests.splice(0),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Prefers 127.0.0.2; falls back to 127.0.0.1 under the name `localhost`, still a different origin. */
async function listenOnForeignLoopback(server: ReturnType<typeof createServer>): Promise<string> {
  try {
    await listen(server, '127.0.0.2');
    return `127.0.0.2:${(server.address() as AddressInfo).port}`;
  } catch {
    await listen(server, '127.0.0.1');
    return `localhost:${(server.address() as AddressInfo).port}`;
  }
}

function listen(server: ReturnType<typeof createServer>, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(0, address, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
