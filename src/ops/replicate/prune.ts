/**
 * `--prune`: deleting a tag that exists only in the replica. The spec's DELETE by tag is tried
 * first; registries that refuse it (Distribution 2.8 answers 400) delete only by digest, which
 * removes every tag on that digest, so that is done only when no tag the replica keeps names the
 * digest, directly or as a child of an index.
 */
import { RegtopoError } from '../../errors.js';
import { parseManifest } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { isIndexType } from '../../registry/media-types.js';
import { discard } from '../../transport/http-types.js';
import type { TagMap } from './repository-tags.js';

export async function pruneTag(repo: RegistryRepository, tag: string, digest: string, kept: TagMap): Promise<void> {
  const { res } = await repo.call('DELETE', `manifests/${tag}`);
  await discard(res);
  if (res.status === 202 || res.status === 200) return;
  // Some registries answer 404 for "deleting by tag is not supported": believe only a HEAD.
  if (res.status === 404 && !(await repo.headManifest(tag))) return;
  const sharer = await keptHolder(repo, digest, kept);
  if (sharer) {
    throw new RegtopoError('E_REGISTRY', `${repo.description}:${tag}: this registry deletes only by digest, and ${digest} is also held by the kept tag ${sharer}; left in place`);
  }
  await repo.deleteManifest(digest);
}

async function keptHolder(repo: RegistryRepository, digest: string, kept: TagMap): Promise<string | undefined> {
  for (const [tag, desc] of kept) {
    if (desc.digest === digest) return tag;
  }
  for (const [tag, desc] of kept) {
    if (!isIndexType(desc.mediaType)) continue;
    const parsed = parseManifest(await repo.getManifest(desc.digest), `${repo.description}:${tag}`);
    if (parsed.kind === 'index' && parsed.manifests.some((m) => m.digest === digest)) return `${tag} (index child)`;
  }
  return undefined;
}
