/**
 * Per replica and run: which blobs the replica is known to hold, and in which repository. The copy
 * engine skips blobs a target repository already has; across repositories it would read them from
 * prod again, so before a tag is copied into a repository, blobs the ledger has seen in another
 * repository of the replica are mounted from there (distribution-spec cross-repository mount).
 * With copies into one replica running one after another, a blob is read from prod at most once
 * per replica per run.
 */
import { parseManifest, type Descriptor } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { CopyProgress } from '../copy-progress.js';

export class BlobLedger {
  private readonly where = new Map<string, Set<string>>();
  mounted = 0;

  /** Progress hook for copy(): records every blob the copy found, mounted or wrote in `repository`. */
  observe(repository: string): CopyProgress {
    return (event) => {
      if (event.type === 'blob') this.add(event.digest, repository);
    };
  }

  add(digest: string, repository: string): void {
    let repos = this.where.get(digest);
    if (!repos) this.where.set(digest, (repos = new Set()));
    repos.add(repository);
  }

  /** True when some repository other than `repository` is known to hold a blob. */
  private hasElsewhere(repository: string): boolean {
    for (const repos of this.where.values()) if (!repos.has(repository) || repos.size > 1) return true;
    return false;
  }

  /**
   * Mounts into `target` every blob of `digest`'s tree (read from `source`) that another repository
   * of the replica holds. Costs the tree's manifest GETs on prod, and only when there is something
   * to mount from; the copy that follows then finds those blobs present.
   */
  async premount(source: RegistryRepository, target: RegistryRepository, digest: string, signal?: AbortSignal): Promise<void> {
    if (!this.hasElsewhere(target.repository)) return;
    const blobs = await treeBlobs(source, digest, signal);
    for (const desc of blobs) {
      signal?.throwIfAborted();
      const repos = this.where.get(desc.digest);
      if (!repos || repos.has(target.repository)) continue;
      const from = repos.values().next().value as string;
      await target.putBlob(desc, () => source.openBlob(desc), {
        mountFrom: from,
        onDone: (how) => { if (how === 'mounted') this.mounted++; },
      });
      this.add(desc.digest, target.repository);
    }
  }
}

/** Config and layer descriptors of a manifest and, for an index, of its children (deduplicated). */
async function treeBlobs(repo: RegistryRepository, digest: string, signal?: AbortSignal): Promise<Descriptor[]> {
  const out = new Map<string, Descriptor>();
  const visit = async (ref: string): Promise<void> => {
    signal?.throwIfAborted();
    const raw = await repo.getManifest(ref);
    const parsed = parseManifest(raw, `${repo.description}@${ref}`);
    if (parsed.kind === 'index') {
      for (const child of parsed.manifests) await visit(child.digest);
    } else {
      for (const d of [parsed.config, ...parsed.layers]) out.set(d.digest, d);
    }
  };
  await visit(digest);
  return [...out.values()];
}
