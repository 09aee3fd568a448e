/**
 * Per replica and run: which blobs the replica is known to hold, and in which repository. The copy
 * engine skips blobs a target repository already has, but across repositories it would read them
 * from prod again (and into a repository the registry does not know yet it skips the existence
 * checks altogether). So once the ledger knows a blob of a tag's tree in another repository of the
 * replica, the tag is pushed here instead: those blobs are mounted from there (distribution-spec
 * cross-repository mount), the rest read from prod, then the manifests pushed byte-exact, children
 * first. With copies into one replica running one after another, a blob is read from prod at most
 * once per replica per run.
 */
import pLimit from 'p-limit';
import { parseManifest, type Descriptor, type RawManifest } from '../../registry/descriptor.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { CopyProgress } from '../copy-progress.js';
import { throwIfInterrupted } from './interrupted.js';

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
   * Pushes `digest`'s tree from `source` into `target` under `tag` when another repository of the
   * replica holds some of its blobs; returns false (nothing written) when there is nothing to mount
   * from, and the copy engine should do it.
   */
  async pushWithMounts(source: RegistryRepository, target: RegistryRepository, digest: string, tag: string, jobs: number, signal?: AbortSignal): Promise<boolean> {
    if (!this.hasElsewhere(target.repository)) return false;
    const tree = await readTree(source, digest, signal);
    const shared = tree.blobs.filter((d) => [...(this.where.get(d.digest) ?? [])].some((r) => r !== target.repository));
    if (shared.length === 0) return false;
    const limit = pLimit(jobs);
    await Promise.all(tree.blobs.map((desc) => limit(async () => {
      throwIfInterrupted(signal);
      const repos = this.where.get(desc.digest);
      if (repos?.has(target.repository)) return;
      const from = repos ? [...repos][0] : undefined;
      if (!from && (await target.hasBlob(desc))) {
        this.add(desc.digest, target.repository);
        return;
      }
      await target.putBlob(desc, () => source.openBlob(desc), {
        ...(from ? { mountFrom: from } : {}),
        onDone: (how) => { if (how === 'mounted') this.mounted++; },
      });
      this.add(desc.digest, target.repository);
    })));
    for (const child of tree.children) await target.putManifest(child.digest, child);
    await target.putManifest(tag, tree.root);
    return true;
  }
}

interface Tree {
  root: RawManifest;
  /** Child manifests of an index, in push order. */
  children: RawManifest[];
  /** Config and layer descriptors of every image manifest in the tree, deduplicated. */
  blobs: Descriptor[];
}

async function readTree(repo: RegistryRepository, digest: string, signal?: AbortSignal): Promise<Tree> {
  const blobs = new Map<string, Descriptor>();
  const children: RawManifest[] = [];
  const visit = async (ref: string): Promise<RawManifest> => {
    throwIfInterrupted(signal);
    const raw = await repo.getManifest(ref);
    const parsed = parseManifest(raw, `${repo.description}@${ref}`);
    if (parsed.kind === 'index') {
      for (const child of parsed.manifests) children.push(await visit(child.digest));
    } else {
      for (const d of [parsed.config, ...parsed.layers]) blobs.set(d.digest, d);
    }
    return raw;
  };
  const root = await visit(digest);
  return { root, children, blobs: [...blobs.values()] };
}
