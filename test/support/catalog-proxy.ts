/**
 * A proxy in front of a real registry that rewrites its `/v2/_catalog` answers, for what a hostile
 * or different registry could send: names that are not repository names, pagination links to
 * another origin. Every other request passes through untouched.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CatalogRewrite {
  repositories?: (listed: string[]) => unknown[];
  /** The Link header to send instead of the registry's. */
  link?: string;
}

export interface CatalogProxy {
  host: string;
  url: string;
  rewrite: CatalogRewrite | undefined;
  stop(): Promise<void>;
}

export async function startCatalogProxy(targetUrl: string): Promise<CatalogProxy> {
  const target = new URL(targetUrl);
  const state: { rewrite: CatalogRewrite | undefined } = { rewrite: undefined };
  const server = createServer((req, res) => {
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      const rewrite = state.rewrite;
      if (!rewrite || !(req.url ?? '').startsWith('/v2/_catalog') || r.statusCode !== 200) {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { repositories: string[] };
        const body = Buffer.from(JSON.stringify({ repositories: rewrite.repositories ? rewrite.repositories(doc.repositories) : doc.repositories }));
        const headers: IncomingHttpHeaders = { ...r.headers, 'content-length': String(body.length) };
        delete headers.link;
        if (rewrite.link) headers.link = rewrite.link;
        res.writeHead(200, headers);
        res.end(body);
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `http://${host}`,
    get rewrite() { return state.rewrite; },
    set rewrite(v) { state.rewrite = v; },
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
