/**
 * Repository listing (distribution-spec "listing repositories", `/v2/_catalog`), paginated exactly
 * like tag lists (tag-list.ts): only same-origin `Link: rel="next"` targets are followed, at most
 * MAX_PAGES of them, every page is read capped, and every entry must be a valid repository name
 * before it is returned: names become request paths, so `a/../../x` from a hostile registry is
 * skipped (and reported through `onInvalidName`) instead of becoming a URL.
 */
import { RegtopoError } from '../errors.js';
import { Reference } from '../ref/reference.js';
import { throwIfAborted } from '../transport/abort.js';
import { BODY_LIMITS, readJsonBounded } from '../transport/bounded-body.js';
import { discard } from '../transport/http-types.js';
import type { RegistryClient } from './registry-client.js';
import { responseError } from './response-error.js';
import { nextLink } from './tag-list.js';

const PAGE_SIZE = 1000;
const MAX_PAGES = 1000;
// Token services grant the catalog under this scope (docker/distribution token auth).
const CATALOG_SCOPE = 'registry:catalog:*';

export interface CatalogOptions {
  /** Called with each entry that is not a repository name (it is skipped). */
  onInvalidName?: (raw: string) => void;
  signal?: AbortSignal;
  /** Entries asked per page (`n`); default 1000. */
  pageSize?: number;
}

/** A catalog as far as the registry lets us read it. */
export interface CatalogListing {
  /** false when the first page was refused (401/403/404/405…): the catalog is optional and often closed. */
  read: boolean;
  /** What the registry answered when `read` is false. */
  reason?: string;
  /** Valid repository names, each once, in the registry's order. */
  repositories: string[];
  /** Entries that are not repository names, skipped; the first 20, quoted and shortened, for reports. */
  invalid: string[];
}

/** Every repository of the catalog; a refused catalog is an error (replication needs all of it). */
export async function listCatalog(client: RegistryClient, registry: string, options: CatalogOptions = {}): Promise<string[]> {
  return (await walkCatalog(client, registry, options, true)).repositories;
}

/**
 * The catalog, or `read: false` with the status when the registry keeps it closed (prune reports that
 * and carries on). A page after the first failing is still an error: the listing would be incomplete.
 */
export function readCatalog(client: RegistryClient, registry: string, options: CatalogOptions = {}): Promise<CatalogListing> {
  return walkCatalog(client, registry, options, false);
}

async function walkCatalog(client: RegistryClient, registry: string, options: CatalogOptions, required: boolean): Promise<CatalogListing> {
  const names = new Set<string>();
  const invalid: string[] = [];
  const what = `catalog of ${registry}`;
  const origin = new URL(client.url(registry, '/')).origin;
  let path = `/v2/_catalog?n=${options.pageSize ?? PAGE_SIZE}`;
  for (let page = 0; page < MAX_PAGES; page++) {
    throwIfAborted(options.signal);
    const req = { method: 'GET' as const, path, scopes: [CATALOG_SCOPE], ...(options.signal ? { signal: options.signal } : {}) };
    const res = await client.request(registry, req);
    if (res.status !== 200) {
      if (page === 0 && !required) {
        await discard(res);
        return { read: false, reason: `${res.status} from /v2/_catalog`, repositories: [], invalid: [] };
      }
      throw await responseError({ ...req, url: client.url(registry, path) }, res, page === 0 ? what : `${what}, page ${page + 1}`);
    }
    const doc = await readJsonBounded<{ repositories?: unknown }>(res.body, BODY_LIMITS.listPage, what, { declaredLength: res.headers['content-length'] });
    const listed = doc?.repositories ?? [];
    if (!Array.isArray(listed)) throw new RegtopoError('E_REGISTRY', `${what}: "repositories" is not a list`);
    for (const entry of listed) {
      if (isRepositoryName(registry, entry)) {
        names.add(entry);
        continue;
      }
      options.onInvalidName?.(typeof entry === 'string' ? entry : JSON.stringify(entry) ?? String(entry));
      if (invalid.length < 20) invalid.push(typeof entry === 'string' ? JSON.stringify(entry.slice(0, 80)) : typeof entry);
    }
    const next = nextLink(res.headers.link);
    if (!next) return { read: true, repositories: [...names], invalid };
    const url = new URL(next, origin);
    if (url.origin !== origin) throw new RegtopoError('E_REGISTRY', `${what}: refusing pagination link to another origin ${url.origin}`);
    path = `${url.pathname}${url.search}`;
  }
  throw new RegtopoError('E_REGISTRY', `${what}: more than ${MAX_PAGES} pages`);
}

/** The reference grammar's repository rules, applied as written (no Docker Hub `library/` added). */
function isRepositoryName(registry: string, value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  try {
    return Reference.of(registry, value).repository === value;
  } catch {
    return false;
  }
}
