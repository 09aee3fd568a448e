/**
 * One repository's tags with the digest each names: a tag list, then one HEAD per tag (in
 * parallel, bounded). This is the whole cost of finding a replica in sync.
 */
import { RegtopoError } from '../../errors.js';
import type { Descriptor } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { isRecordTag } from '../promotion/records.js';
import { throwIfAborted } from '../../transport/abort.js';

export type TagMap = Map<string, Descriptor>;

export async function readTagDigests(repo: RegistryRepository, limit: <T>(fn: () => Promise<T>) => Promise<T>, signal?: AbortSignal): Promise<TagMap> {
  throwIfAborted(signal);
  let tags: string[];
  try {
    tags = await repo.listTags();
  } catch (err) {
    if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return new Map();
    throw err;
  }
  const heads = await Promise.all(tags.map((tag) => limit(async () => {
    throwIfAborted(signal);
    return [tag, await repo.headManifest(tag)] as const;
  })));
  // A tag deleted between the list and its HEAD is simply not there any more.
  return new Map(heads.filter((h): h is readonly [string, Descriptor] => h[1] !== undefined));
}

/**
 * Tags in the order they are written: images first, then regtopo's records and referrer fallback
 * tags, so a record never arrives before the image it is about.
 */
export function writeOrder(tags: Iterable<string>): string[] {
  const isAttached = (t: string) => isRecordTag(t) || /^sha(256|512)-[a-f0-9]+$/.test(t);
  const all = [...tags].sort();
  return [...all.filter((t) => !isAttached(t)), ...all.filter(isAttached)];
}
