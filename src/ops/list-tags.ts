/** Tags of a repository (registry, paginated) or of an OCI layout, sorted. */
import { parseLocation, type Location } from '../ref/location.js';
import { RegistryClient } from '../registry/registry-client.js';
import { openStore } from './open-store.js';

export interface ListTagsOptions {
  client?: RegistryClient;
}

export async function listTags(repository: string | Location, options: ListTagsOptions = {}): Promise<string[]> {
  const loc = typeof repository === 'string' ? parseLocation(repository) : repository;
  const client = options.client ?? new RegistryClient();
  try {
    const store = await openStore(loc, client, 'read');
    return (await store.listTags()).sort();
  } finally {
    if (!options.client) await client.close();
  }
}
