/**
 * Retag in place: the source manifest is read once (by digest, so it cannot move meanwhile) and its
 * exact bytes are PUT under each new tag of the same repository. No blob traffic at all.
 */
import { RegtopoError } from '../errors.js';
import { formatLocation, parseLocation, type Location } from '../ref/location.js';
import type { RawManifest } from '../registry/descriptor.js';
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

export async function tag(source: string | Location, newTags: string[], options: TagOptions = {}): Promise<TagResult> {
  // A tag named twice is one tag: its HEADs run together, so a repeat would be reported as created twice.
  const tags = [...new Set(newTags)];
  const loc = typeof source === 'string' ? parseLocation(source) : source;
  if (tags.length === 0) throw new RegtopoError('E_USAGE', 'tag: at least one new tag is required');
  for (const t of tags) if (!isTag(t)) throw new RegtopoError('E_REF_INVALID', `invalid tag "${t}"`);
  const targets = tags.map((t) => withTag(loc, t));
  for (const t of targets) await options.authorizeWrite?.(t);
  throwIfAborted(options.signal);

  const client = options.client ?? new RegistryClient();
  try {
    const store = await openStore(loc, client, 'write', { signal: options.signal });
    // The new tags are HEADed alongside the source: across a WAN that is one round trip, not one per
    // tag after it, and when every tag already holds the digest the manifest is never read.
    const [head, ...currents] = await Promise.all([store.headManifest(referenceOf(loc)), ...tags.map((t) => store.headManifest(t))]);
    if (!head) throw new RegtopoError('E_NOT_FOUND', `${formatLocation(loc)}: manifest not found`);
    const result: TagResult = { source: formatLocation(loc), digest: head.digest, mediaType: head.mediaType, tags: [] };
    let raw: RawManifest | undefined;
    for (const [i, t] of tags.entries()) {
      const current = currents[i];
      if (current?.digest === head.digest) {
        result.tags.push({ tag: t, action: 'unchanged' });
        continue;
      }
      // GET by the digest the HEAD saw, so a source tag moving meanwhile cannot split the tags.
      raw ??= await store.getManifest(head.digest);
      result.mediaType = raw.mediaType;
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
