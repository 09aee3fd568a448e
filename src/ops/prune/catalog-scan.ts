/**
 * Reads a registry's repository list (distribution-spec "listing repositories", `/v2/_catalog`) for
 * prune. The catalog is optional in the spec and often closed, so an answer other than 200 means "not
 * readable" (reported, not an error). Treated as hostile like a tag list: each page is read capped,
 * only same-origin `rel="next"` links are followed (at most MAX_PAGES), and every name must parse as
 * a repository path before it is ever put into a request path.
 *
 * Replication needs the same listing (src/registry/catalog.ts, written in parallel): the two are
 * meant to merge into one implementation under src/registry/.
 */
import { RegtopoError } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { nextLink } from '../../registry/tag-list.js';
import { BODY_LIMITS, readJsonBounded } from '../../transport/bounded-body.js';
import { discard } from '../../transport/http-types.js';
import { stopIfAborted } from './abort.js';

const PAGE_SIZE = 1000;
const MAX_PAGES = 1000;

export interface CatalogScan {
  /** false when the registry does not let us list (401/403/404/405…): `reason` says what it answered. */
  read: boolean;
  reason?: string;
  repositories: string[];
  /** Entries that are not repository paths, skipped (at most 20 kept for the report). */
  invalid: string[];
}

export interface CatalogScanOptions {
  signal?: AbortSignal;
  /** Entries asked for per page (`n`); default 1000. */
  pageSize?: number;
}

export async function scanCatalog(client: RegistryClient, host: string, options: CatalogScanOptions = {}): Promise<CatalogScan> {
  const { signal } = options;
  const origin = new URL(client.url(host, '/')).origin;
  const repositories: string[] = [];
  const invalid: string[] = [];
  let path = `/v2/_catalog?n=${options.pageSize ?? PAGE_SIZE}`;
  for (let page = 0; page < MAX_PAGES; page++) {
    stopIfAborted(signal);
    const res = await client.request(host, { method: 'GET', path, scopes: ['registry:catalog:*'], ...(signal && { signal }) });
    if (res.status !== 200) {
      await discard(res);
      // A later page failing after earlier ones succeeded is not "closed": the listing is incomplete.
      if (page > 0) throw new RegtopoError('E_REGISTRY', `catalog of ${host}: page ${page + 1} answered ${res.status}`);
      return { read: false, reason: `${res.status} from /v2/_catalog`, repositories: [], invalid: [] };
    }
    const what = `catalog of ${host}`;
    const doc = await readJsonBounded<{ repositories?: unknown }>(res.body, BODY_LIMITS.listPage, what, { declaredLength: res.headers['content-length'] });
    const listed = doc?.repositories ?? [];
    if (!Array.isArray(listed)) throw new RegtopoError('E_REGISTRY', `${what}: "repositories" is not a list`);
    for (const entry of listed) {
      if (typeof entry === 'string' && isRepositoryPath(host, entry)) repositories.push(entry);
      else if (invalid.length < 20) invalid.push(typeof entry === 'string' ? JSON.stringify(entry.slice(0, 80)) : typeof entry);
    }
    const next = nextLink(res.headers.link);
    if (!next) return { read: true, repositories: [...new Set(repositories)], invalid };
    const url = new URL(next, origin);
    if (url.origin !== origin) throw new RegtopoError('E_REGISTRY', `${what}: refusing pagination link to another origin ${url.origin}`);
    path = `${url.pathname}${url.search}`;
  }
  throw new RegtopoError('E_REGISTRY', `catalog of ${host}: more than ${MAX_PAGES} pages`);
}

/** The reference grammar's repository path (lowercase components, no `..`, at most 255 characters). */
function isRepositoryPath(host: string, name: string): boolean {
  try {
    return Reference.of(host, name).repository === name;
  } catch {
    return false;
  }
}
