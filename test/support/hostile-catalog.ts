/**
 * A server that answers `/v2/_catalog` the way a hostile or broken registry might: scripted pages
 * with names that are not repository paths, pagination links to another origin, oversized bodies.
 * Distribution cannot be made to send any of these, so this stands in for the catalog endpoint only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CatalogPage {
  body: string;
  /** Sent as `Link: <next>; rel="next"`. */
  next?: string;
}

export interface HostileCatalog {
  host: string;
  url: string;
  requests: string[];
  stop(): Promise<void>;
}

/** Serves `pages[i]` for `/v2/_catalog?page=i` (the first request has no page parameter). */
export async function startHostileCatalog(pages: CatalogPage[]): Promise<HostileCatalog> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    if (url.pathname !== '/v2/_catalog') return void res.writeHead(404).end();
    const page = pages[Number(url.searchParams.get('page') ?? 0)];
    if (!page) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', ...(page.next && { link: `<${page.next}>; rel="next"` }) });
    res.end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
