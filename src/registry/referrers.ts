/**
 * Referrers of a manifest (distribution-spec "listing referrers"): the API where the registry has
 * it, else the fallback tag `<alg>-<hex>` that pre-1.1 registries (Distribution 2.8) are given by
 * clients. Both are read; neither is required to exist.
 *
 * What a registry lists is untrusted: a referrer's digest later becomes a request path, so every
 * descriptor must carry a valid digest, a media type and a size before it is returned; the others are
 * skipped and reported through `onInvalidReferrer`.
 */
import { RegtopoError } from '../errors.js';
import { assertDigest, isDigest } from '../ref/digest.js';
import { BODY_LIMITS, readJsonBounded } from '../transport/bounded-body.js';
import { discard } from '../transport/http-types.js';
import { parseManifest, type Descriptor } from './descriptor.js';
import { MediaType } from './media-types.js';
import type { RegistryRepository } from './registry-repository.js';
import { responseError } from './response-error.js';

export interface ReferrersResult {
  referrers: Descriptor[];
  /** Which mechanism answered. */
  source: 'api' | 'fallback-tag' | 'none';
  /** The registry answered the referrers API 404 or 400: it lacks the API (distribution-spec). */
  lacksApi?: true;
}

export interface ListReferrersOptions {
  /** Called with each listed entry that is not a usable descriptor (it is skipped). */
  onInvalidReferrer?: (raw: string) => void;
  /**
   * Whether the fallback tag exists (from a tag list the caller holds): when it says no, the tag is
   * not fetched, so a subject without referrers costs no manifest GET (a pull, on Docker Hub).
   */
  hasFallbackTag?: (tag: string) => Promise<boolean>;
  /** The caller knows the registry has no referrers API: go straight to the fallback tag. */
  skipApi?: boolean;
}

export function fallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

export async function listReferrers(repo: RegistryRepository, digest: string, artifactType?: string, options: ListReferrersOptions = {}): Promise<ReferrersResult> {
  assertDigest(digest, `subject digest for referrers of ${repo.description}`);
  const usable = (listed: unknown[]): Descriptor[] => usableReferrers(listed, options.onInvalidReferrer);
  let lacksApi = false;
  if (!options.skipApi) {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const { req, res } = await repo.call('GET', `referrers/${digest}${query}`, { headers: { accept: MediaType.OciIndex } });
    if (res.status === 200 && (res.headers['content-type'] ?? '').startsWith(MediaType.OciIndex)) {
      const doc = await readJsonBounded<{ manifests?: unknown }>(res.body, BODY_LIMITS.listPage, `referrers of ${digest} in ${repo.description}`, { declaredLength: res.headers['content-length'] });
      const all = Array.isArray(doc?.manifests) ? usable(doc.manifests) : [];
      return { referrers: artifactType ? all.filter((d) => d.artifactType === artifactType) : all, source: 'api' };
    }
    if (res.status !== 404 && res.status !== 400 && res.status !== 200) throw await responseError(req, res, `referrers of ${digest} in ${repo.description}`);
    // A 200 of another type proves nothing either way; 404 and 400 are what a registry without the API says.
    lacksApi = res.status !== 200;
    await discard(res);
  }
  const noApi = lacksApi ? { lacksApi: true as const } : {};
  if (options.hasFallbackTag && !(await options.hasFallbackTag(fallbackTag(digest)))) return { referrers: [], source: 'none', ...noApi };
  try {
    const raw = await repo.getManifest(fallbackTag(digest));
    const parsed = parseManifest(raw, `${repo.description}:${fallbackTag(digest)}`);
    if (parsed.kind !== 'index') return { referrers: [], source: 'none', ...noApi };
    const all = usable(parsed.manifests);
    return { referrers: artifactType ? all.filter((d) => d.artifactType === artifactType) : all, source: 'fallback-tag', ...noApi };
  } catch (err) {
    if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return { referrers: [], source: 'none', ...noApi };
    throw err;
  }
}

/** The entries of a listed referrers index that are usable descriptors; the others go to `onInvalid`. */
export function usableReferrers(listed: unknown[], onInvalid?: (raw: string) => void): Descriptor[] {
  const out: Descriptor[] = [];
  for (const entry of listed) {
    if (isDescriptor(entry)) out.push(entry);
    else onInvalid?.((JSON.stringify(entry) ?? String(entry)).slice(0, 300));
  }
  return out;
}

function isDescriptor(value: unknown): value is Descriptor {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Record<string, unknown>;
  return typeof d.digest === 'string' && isDigest(d.digest) && typeof d.mediaType === 'string' && typeof d.size === 'number' && Number.isSafeInteger(d.size) && d.size >= 0
    && (d.artifactType === undefined || typeof d.artifactType === 'string');
}
