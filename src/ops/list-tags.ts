/** Tags of a repository (registry, paginated) or of an OCI layout, sorted. */
import { parseLocation, type Location } from '../ref/location.js';
import { RegistryClient } from '../registry/registry-client.js';
import { openStore } from './open-store.js';
import { abortedOr, throwIfAborted } from '../transport/abort.js';

export interface ListTagsOptions {
  client?: RegistryClient;
  /** Stops the listing when it fires (E_INTERRUPTED). */
  signal?: AbortSignal;
}

export async function listTags(repository: string | Location, options: ListTagsOptions = {}): Promise<string[]> {
  const loc = typeof repository === 'string' ? parseLocation(repository) : repository;
  throwIfAborted(options.signal);
  const client = options.client ?? new RegistryClient();
  try {
    const store = await openStore(loc, client, 'read', { signal: options.signal });
    return (await store.listTags()).sort();
  } catch (err) {
    throw abortedOr(err, options.signal);
  } finally {
    if (!options.client) await client.close();
  }
}
