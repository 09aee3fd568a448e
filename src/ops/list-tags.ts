/** Tags of a repository (registry, paginated) or of an OCI layout, sorted. */
import { parseLocation, type Location } from '../ref/location.js';
import { RegistryClient } from '../registry/registry-client.js';
import { openStore } from './open-store.js';
import { abortedOr, throwIfAborted } from '../transport/abort.js';

export interface ListTagsOptions {
  client?: RegistryClient;
  /**
   * Called with each tag-list entry that is not a valid tag. Such entries are skipped (a registry's
   * tag list is untrusted and an entry like `x/../../secret` would otherwise become a request path);
   * this is how a caller reports them.
   */
  onInvalidTag?: (raw: string) => void;
  /** Stops the listing when it fires (E_INTERRUPTED). */
  signal?: AbortSignal;
}

export async function listTags(repository: string | Location, options: ListTagsOptions = {}): Promise<string[]> {
  const loc = typeof repository === 'string' ? parseLocation(repository) : repository;
  throwIfAborted(options.signal);
  const client = options.client ?? new RegistryClient();
  try {
    const store = await openStore(loc, client, 'read', { signal: options.signal });
    return (await store.listTags({ onInvalidTag: options.onInvalidTag })).sort();
  } catch (err) {
    throw abortedOr(err, options.signal);
  } finally {
    if (!options.client) await client.close();
  }
}
