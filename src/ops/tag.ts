/**
 * Retag in place: the source manifest is read once (by digest, so it cannot move meanwhile) and its
 * exact bytes are PUT under each new tag of the same repository. No blob traffic at all.
 */
import { RegtopoError } from '../errors.js';
import { formatLocation, parseLocation, type Location } from '../ref/location.js';
import { RegistryClient } from '../registry/registry-client.js';
import { openStore, referenceOf } from './open-store.js';
import { isTag } from '../ref/tag.js';
import { abortedOr, throwIfAborted } from '../transport/abort.js';

export interface TagOptions {
  client?: RegistryClient;
  /** Called per new tag before anything is written; throw to refuse. */
  authorizeWrite?: (target: Location) => void | Promise<void>;
  /** Stops the retag when it fires (E_INTERRUPTED); tags already moved stay moved. */
  signal?: AbortSignal;
}

export interface TagResult {
  source: string;
  digest: string;
  mediaType: string;
  tags: Array<{ tag: string; action: 'created' | 'moved' | 'unchanged'; previous?: string }>;
}

export async function tag(source: string | Location, tags: string[], options: TagOptions = {}): Promise<TagResult> {
  const loc = typeof source === 'string' ? parseLocation(source) : source;
  if (tags.length === 0) throw new RegtopoError('E_USAGE', 'tag: at least one new tag is required');
  for (const t of tags) if (!isTag(t)) throw new RegtopoError('E_REF_INVALID', `invalid tag "${t}"`);
  const targets = tags.map((t) => withTag(loc, t));
  for (const t of targets) await options.authorizeWrite?.(t);
  throwIfAborted(options.signal);

  const client = options.client ?? new RegistryClient();
  try {
    const store = await openStore(loc, client, 'write', { signal: options.signal });
    const head = await store.headManifest(referenceOf(loc));
    if (!head) throw new RegtopoError('E_NOT_FOUND', `${formatLocation(loc)}: manifest not found`);
    const raw = await store.getManifest(head.digest);
    const result: TagResult = { source: formatLocation(loc), digest: raw.digest, mediaType: raw.mediaType, tags: [] };
    for (const t of tags) {
      const current = await store.headManifest(t);
      if (current?.digest === raw.digest) {
        result.tags.push({ tag: t, action: 'unchanged' });
        continue;
      }
      await store.putManifest(t, raw);
      result.tags.push(current ? { tag: t, action: 'moved', previous: current.digest } : { tag: t, action: 'created' });
    }
    return result;
  } catch (err) {
    throw abortedOr(err, options.signal);
  } finally {
    if (!options.client) await client.close();
  }
}

function withTag(loc: Location, t: string): Location {
  if (loc.kind === 'registry') return { kind: 'registry', ref: loc.ref.withTag(t) };
  return { kind: 'oci', dir: loc.dir, tag: t };
}
