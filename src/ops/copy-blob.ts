/**
 * The second half of a copy, per blob: find it, mount it or move it. Into a registry the order is
 * what costs least: a blob this run already put in the target repository costs nothing; where some
 * repository of the target registry is known to hold it (the source itself when it is on the same
 * registry, the run's ledger, the persistent location cache) a cross-repository mount is tried at
 * once, without a HEAD first, because a mount that succeeds answers both questions; otherwise a HEAD
 * (skipped when the repository is new), then the caller's topology candidates, then the upload. A
 * topology candidate that holds the image's root manifest itself is a known holder of every blob.
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
// Mounts from known holders move no bytes, so they need not queue behind uploads for the copy's
// transfer slots. As many at once as the client has connections per origin (CONNECTIONS_PER_ORIGIN):
// a mount whose length is known already is one request; one that also HEADs its holder is two, and
// those queue in the pool for a free connection.
export const MOUNT_JOBS = 16;

/** Runs work when a slot is free (a p-limit). */
export type Slot = <T>(work: () => Promise<T>) => Promise<T>;

export interface BlobPlacementOptions {
  ledger?: BlobLedger;
  locations?: BlobLocationCache;
  /** Repositories on the target registry to try mounting from (e.g. from mountCandidates()). */
  mountCandidates?: readonly string[];
  progress?: CopyProgress;
  /** Where blob transfers (HEAD and upload, or a layout write) wait for one of the copy's `jobs`. */
  transferSlot?: Slot;
  /** Where mounts from known holders wait (MOUNT_JOBS); a refused mount's upload still takes a transfer slot. */
  mountSlot?: Slot;
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

  /** Waiting for another copy's move of the same blob holds no slot; only the move itself does. */
  async move(desc: Descriptor): Promise<void> {
    const dst = this.dst;
    const transfer = this.options.transferSlot ?? runNow;
    if (!(dst instanceof RegistryRepository)) return transfer(() => this.moveInto(desc, [], []));
    for (;;) {
      // A descriptor the ledger contradicts is not taken as present: the HEAD in moveInto says so
      // (E_SIZE_MISMATCH).
      if (this.ledger.holds(dst.registry, desc.digest, dst.repository) && !this.ledgerContradicts(desc)) return this.done(desc, 'existing');
      const known = this.knownHolders(desc, dst);
      const guesses = this.guessesFor(dst, known);
      // A blob that will try a mount first (a known holder, or a topology guess) waits for a mount
      // slot; only the upload after refused mounts takes one of the copy's transfer slots. A ninth
      // guessed blob no longer waits for one of the first eight mounts.
      const slot = known.length > 0 || guesses.length > 0 ? this.options.mountSlot ?? runNow : transfer;
      if (await this.ledger.once(dst.registry, desc.digest, () => slot(() => this.moveInto(desc, known, guesses)))) return;
    }
  }

  private async moveInto(desc: Descriptor, known: string[], guesses: string[]): Promise<void> {
    const { dst, src } = this;
    if ((known.length === 0 || this.ledgerContradicts(desc)) && !this.targetUnknown() && (await dst.hasBlob(desc))) return this.done(desc, 'existing');
    const onBytes = (n: number) => {
      this.tally.bytes += n;
      this.options.progress?.({ type: 'bytes', n });
    };
    const open = () => src.openBlob(desc, { onBytes });
    if (!(dst instanceof RegistryRepository)) {
      await dst.putBlob(desc, open);
      return this.done(desc, 'copied');
    }
    const mountFrom = [...known, ...guesses].slice(0, MAX_MOUNT_TRIES);
    const lengthKnown = this.lengthKnown(desc);
    const outcome: { how: 'copied' | 'mounted'; sizeChecked: boolean } = { how: 'copied', sizeChecked: lengthKnown };
    await dst.putBlob(desc, open, {
      mountFrom,
      // A topology guess is usually right (the stage before), so its HEAD is worth the request it
      // wastes when the mount is refused: a HEAD after the mount would be a round trip per blob.
      checkSizeAlongside: !lengthKnown,
      // Mounts run under the mount slot; an upload after refused mounts waits for a transfer slot.
      ...(mountFrom.length > 0 && this.options.transferSlot ? { uploadSlot: this.options.transferSlot } : {}),
      onDone: (h, _from, sizeChecked) => { outcome.how = h === 'mounted' ? 'mounted' : 'copied'; outcome.sizeChecked ||= sizeChecked === true; },
      onMountRefused: (from) => {
        this.ledger.drop(dst.registry, desc.digest, from);
        this.options.locations?.forget(dst.registry, desc.digest, from);
      },
    });
    const how = outcome.how;
    // A mount is by digest alone: the size the descriptor declares is what this run or the cache
    // checked for the digest before, else a HEAD checks it, of the holder alongside the mount, or of
    // the mounted blob when that HEAD could not tell.
    if (how === 'mounted' && !outcome.sizeChecked) await dst.hasBlob(desc);
    if (how === 'copied' && src instanceof RegistryRepository) this.options.locations?.record(src.registry, desc.digest, src.repository, desc.size);
    this.done(desc, how);
  }

  /**
   * The descriptor's length is the one this run (the ledger) or the cache recorded as checked for
   * the digest. The cache is a local file the user owns; a wrong size in it can only skip the
   * length check of a mount whose digest the registry vouches for.
   */
  private lengthKnown(desc: Descriptor): boolean {
    // What this run checked outranks what a file says.
    const checked = this.ledger.sizeOf(desc.digest) ?? this.options.locations?.sizeOf(desc.digest);
    return checked === desc.size;
  }

  /** This run checked the digest to have another length than the descriptor declares: the descriptor lies. */
  private ledgerContradicts(desc: Descriptor): boolean {
    const checked = this.ledger.sizeOf(desc.digest);
    return checked !== undefined && checked !== desc.size;
  }

  /** The caller's topology candidates not already among the known holders, a few at most. */
  private guessesFor(dst: RegistryRepository, known: readonly string[]): string[] {
    return (this.options.mountCandidates ?? []).filter((r) => r !== dst.repository && !known.includes(r)).slice(0, MAX_GUESSES);
  }

  /** The topology candidates a blob with no known holder would try: where to look for the whole image first. */
  guesses(): string[] {
    return this.dst instanceof RegistryRepository ? this.guessesFor(this.dst, []) : [];
  }

  /**
   * Nothing this run knows names a repository of the target registry to mount from: the source is
   * on another registry, there is no topology guess, and neither the ledger nor the location cache
   * has seen a blob there (an OCI layout mounts nothing). Each blob the target lacks is then read
   * from the source.
   */
  knowsNoHolder(): boolean {
    const dst = this.dst;
    if (!(dst instanceof RegistryRepository)) return true;
    if (this.sourceOn(dst)) return false;
    return this.guesses().length === 0 && !this.ledger.knows(dst.registry) && !(this.options.locations?.knows(dst.registry) ?? false);
  }

  /**
   * `repository` of the target registry holds the image's root manifest: the registry accepted that
   * manifest only with its blobs present there, so each is a known holder, and the lengths its
   * descriptors declare are those the registry already serves under this digest. A copy into another
   * repository adds no length the registry does not serve, so its mounts need no HEAD each.
   */
  heldBy(repository: string, blobs: readonly Descriptor[]): void {
    if (!(this.dst instanceof RegistryRepository)) return;
    for (const d of blobs) this.ledger.add(this.dst.registry, d.digest, repository, d.size);
  }

  /** Repositories of the target registry that should hold the blob: the source's, the ledger's, the cache's. */
  private knownHolders(desc: Descriptor, dst: RegistryRepository): string[] {
    const src = this.sourceOn(dst);
    const all = [
      ...(src ? [src.repository] : []),
      ...this.ledger.holders(dst.registry, desc.digest),
      ...(this.options.locations?.lookup(dst.registry, desc.digest) ?? []),
    ];
    return [...new Set(all)].filter((r) => r !== dst.repository);
  }

  /** The source, when it is a repository of the target registry reached by the same client: a mount can take from it. */
  private sourceOn(dst: RegistryRepository): RegistryRepository | undefined {
    const src = this.src;
    return src instanceof RegistryRepository && src.client === dst.client && src.registry === dst.registry ? src : undefined;
  }

  private done(desc: Descriptor, how: 'copied' | 'mounted' | 'existing'): void {
    const dst = this.dst;
    if (dst instanceof RegistryRepository) {
      // Every way here checked the length: a verified upload, a HEAD, a mount's check, or the ledger's.
      this.ledger.add(dst.registry, desc.digest, dst.repository, desc.size);
      this.options.locations?.record(dst.registry, desc.digest, dst.repository, desc.size);
    }
    this.tally.blobs[how]++;
    this.options.progress?.({ type: 'blob', digest: desc.digest, size: desc.size, how });
  }
}

const runNow: Slot = (work) => work();
