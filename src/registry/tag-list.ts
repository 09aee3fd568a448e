/**
 * Tag listing (distribution-spec "listing tags") following `Link: <...>; rel="next"` pagination.
 * Only same-origin next links are followed, and at most MAX_PAGES, so a hostile registry cannot send
 * us (with our credentials) elsewhere or keep us paging forever. Each page is read capped, and every
 * entry must match the tag grammar: a tag is later put into a request path, so `x/../../secret` from
 * a hostile registry is skipped (and reported through `onInvalidTag`) instead of becoming a URL.
 */
import { RegtopoError } from '../errors.js';
import { isTag } from '../ref/tag.js';
import { BODY_LIMITS, readJsonBounded } from '../transport/bounded-body.js';
import type { ListTagsOptions } from './image-store.js';
import type { RegistryRepository } from './registry-repository.js';
import { responseError } from './response-error.js';

const PAGE_SIZE = 1000;
const MAX_PAGES = 1000;

export async function listAllTags(repo: RegistryRepository, options: ListTagsOptions = {}): Promise<string[]> {
  const tags: string[] = [];
  let path = `/v2/${repo.repository}/tags/list?n=${PAGE_SIZE}`;
  const origin = new URL(repo.client.url(repo.registry, '/')).origin;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { req, res } = await repo.call('GET', path);
    if (res.status === 404) throw await responseError(req, res, `repository ${repo.description} not found`, 'E_NOT_FOUND');
    if (res.status !== 200) throw await responseError(req, res, `tags of ${repo.description}`);
    const what = `tags of ${repo.description}`;
    const doc = await readJsonBounded<{ tags?: unknown }>(res.body, BODY_LIMITS.listPage, what, { declaredLength: res.headers['content-length'] });
    const listed = doc?.tags ?? [];
    if (!Array.isArray(listed)) throw new RegtopoError('E_REGISTRY', `${what}: "tags" is not a list`);
    for (const entry of listed) {
      if (isTag(entry)) tags.push(entry);
      else options.onInvalidTag?.(typeof entry === 'string' ? entry : JSON.stringify(entry) ?? String(entry));
    }
    const next = nextLink(res.headers.link);
    if (!next) return tags;
    const url = new URL(next, origin);
    if (url.origin !== origin) throw new RegtopoError('E_REGISTRY', `tags of ${repo.description}: refusing pagination link to another origin ${url.origin}`);
    path = `${url.pathname}${url.search}`;
  }
  throw new RegtopoError('E_REGISTRY', `tags of ${repo.description}: more than ${MAX_PAGES} pages`);
}

/** The target of the rel="next" link in a Link header (RFC 8288), if any. */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(^|;)\s*rel="?next"?\s*(;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}
