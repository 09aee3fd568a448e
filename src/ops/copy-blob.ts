/**
 * The second half of a copy, per blob: find it, mount it or move it. Into a registry the order is
 * what costs least: a blob this run already put in the target repository costs nothing; where some
 * repository of the target registry is known to hold it (the source itself when it is on the same
 * registry, the run's ledger, the persistent location cache) a cross-repository mount is tried at
 * once, without a HEAD first, because a mount that succeeds answers both questions; otherwise a HEAD
 * (skipped when the repository is new), then the caller's topology candidates, then the upload.
 * A blob wanted by several copies sharing a ledger moves once; the others wait, then find or mount it.
 */
import { RegistryRepository } from '../registry/registry-repository.js';
import type { Descriptor } from '../registry/descriptor.js';
import type { ImageStore } from '../registry/image-store.js';
import { BlobLedger } from './blob-ledger.js';
import type { BlobLocationCache } from './blob-locations/blob-location-cache.js';
import type { CopyProgress } from './copy-progress.js';

// Each refused mount costs two round trips (the mount, the cancel of the session it opened): a few
// known holders, fewer guesses.
export const MAX_MOUNT_TRIES = 4;
export const MAX_GUESSES = 2;

export interface BlobPlacementOptions {
  ledger?: BlobLedger;
  locations?: BlobLocationCache;
  /** Repositories on the target registry to try mounting from (e.g. from mountCandidates()). */
  mountCandidates?: readonly string[];
  progress?: CopyProgress;
}

export interface BlobTally {
  blobs: { copied: number; mounted: number; existing: number };
  bytes: number;
}

export class BlobMover {
  private readonly ledger: BlobLedger;

  constructor(
    private readonly src: ImageStore,
    private readonly dst: ImageStore,
    private readonly options: BlobPlacementOptions,
    private readonly tally: BlobTally,
    /** True when the target repository is new to its registry: nothing in it needs a HEAD. */
    private readonly targetUnknown: () => boolean,
  ) {
    this.ledger = options.ledger ?? new BlobLedger();
  }

  async move(desc: Descriptor): Promise<void> {
    const dst = this.dst;
    if (!(dst instanceof RegistryRepository)) return this.moveInto(desc);
    for (;;) {
      if (this.ledger.holds(dst.registry, desc.digest, dst.repository)) return this.done(desc, 'existing');
      if (await this.ledger.once(dst.registry, desc.digest, () => this.moveInto(desc))) return;
    }
  }

  private async moveInto(desc: Descriptor): Promise<void> {
    const { dst, src } = this;
    const known = dst instanceof RegistryRepository ? this.knownHolders(desc, dst) : [];
    if (known.length === 0 && !this.targetUnknown() && (await dst.hasBlob(desc))) return this.done(desc, 'existing');
    const onBytes = (n: number) => {
      this.tally.bytes += n;
      this.options.progress?.({ type: 'bytes', n });
    };
    const open = () => src.openBlob(desc, { onBytes });
    if (!(dst instanceof RegistryRepository)) {
      await dst.putBlob(desc, open);
      return this.done(desc, 'copied');
    }
    const guesses = (this.options.mountCandidates ?? []).filter((r) => r !== dst.repository && !known.includes(r)).slice(0, MAX_GUESSES);
    const mountFrom = [...known, ...guesses].slice(0, MAX_MOUNT_TRIES);
    const outcome: { how: 'copied' | 'mounted' } = { how: 'copied' };
    await dst.putBlob(desc, open, {
      mountFrom,
      onDone: (h) => { outcome.how = h === 'mounted' ? 'mounted' : 'copied'; },
      onMountRefused: (from) => {
        this.ledger.drop(dst.registry, desc.digest, from);
        this.options.locations?.forget(dst.registry, desc.digest, from);
      },
    });
    const how = outcome.how;
    // A mount is by digest alone: the size the descriptor declares is checked here, as a HEAD would.
    if (how === 'mounted') await dst.hasBlob(desc);
    if (how === 'copied' && src instanceof RegistryRepository) this.options.locations?.record(src.registry, desc.digest, src.repository);
    this.done(desc, how);
  }

  /** Repositories of the target registry that should hold the blob: the source's, the ledger's, the cache's. */
  private knownHolders(desc: Descriptor, dst: RegistryRepository): string[] {
    const src = this.src;
    const sameRegistry = src instanceof RegistryRepository && src.client === dst.client && src.registry === dst.registry;
    const all = [
      ...(sameRegistry ? [src.repository] : []),
      ...this.ledger.holders(dst.registry, desc.digest),
      ...(this.options.locations?.lookup(dst.registry, desc.digest) ?? []),
    ];
    return [...new Set(all)].filter((r) => r !== dst.repository);
  }

  private done(desc: Descriptor, how: 'copied' | 'mounted' | 'existing'): void {
    const dst = this.dst;
    if (dst instanceof RegistryRepository) {
      this.ledger.add(dst.registry, desc.digest, dst.repository);
      this.options.locations?.record(dst.registry, desc.digest, dst.repository);
    }
    this.tally.blobs[how]++;
    this.options.progress?.({ type: 'blob', digest: desc.digest, size: desc.size, how });
  }
}
