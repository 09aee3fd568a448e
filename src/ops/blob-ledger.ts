/**
 * Per run: which repositories of which registry are known to hold a blob, and which blob is being
 * moved into a registry right now. Copies that share one ledger (the tags of a mirror run, the
 * repositories of a replica) move a blob into a registry once: a second copy wanting it waits for
 * the first (single flight per registry and digest), then finds it in its own repository or mounts
 * it from the one that holds it (distribution-spec cross-repository mount). What the ledger knows
 * was seen this run (a blob moved or checked, or a manifest the registry holds), so it is trusted
 * without a HEAD; the persistent cache (blob-locations/) is not.
 */

export class BlobLedger {
  private readonly where = new Map<string, Set<string>>();
  private readonly flights = new Map<string, Promise<void>>();
  private readonly sizes = new Map<string, number>();
  private readonly registries = new Set<string>();

  /** Records that `repository` on `registry` holds `digest`, and its length when that was checked. */
  add(registry: string, digest: string, repository: string, size?: number): void {
    if (size !== undefined) this.sizes.set(digest, size);
    this.registries.add(registry);
    const key = keyOf(registry, digest);
    let repos = this.where.get(key);
    if (!repos) this.where.set(key, (repos = new Set()));
    repos.add(repository);
  }

  /** A mount from `repository` was refused: it does not hold the blob after all. */
  drop(registry: string, digest: string, repository: string): void {
    this.where.get(keyOf(registry, digest))?.delete(repository);
  }

  holds(registry: string, digest: string, repository: string): boolean {
    return this.where.get(keyOf(registry, digest))?.has(repository) ?? false;
  }

  /** This run has seen some blob held on `registry`. */
  knows(registry: string): boolean {
    return this.registries.has(registry);
  }

  /** The length this run checked `digest` to have (a digest has one length, wherever it is held). */
  sizeOf(digest: string): number | undefined {
    return this.sizes.get(digest);
  }

  /** Repositories of `registry` known to hold `digest`, first recorded first. */
  holders(registry: string, digest: string): string[] {
    return [...(this.where.get(keyOf(registry, digest)) ?? [])];
  }

  /**
   * Runs `move` unless a move of the same blob into the same registry is under way; then waits for
   * it (its failure is the other copy's to report) and returns false, and the caller looks again.
   */
  async once(registry: string, digest: string, move: () => Promise<void>): Promise<boolean> {
    const key = keyOf(registry, digest);
    const running = this.flights.get(key);
    if (running) {
      await running.catch(() => undefined);
      return false;
    }
    const flight = move();
    this.flights.set(key, flight);
    try {
      await flight;
    } finally {
      this.flights.delete(key);
    }
    return true;
  }
}

function keyOf(registry: string, digest: string): string {
  return `${registry} ${digest}`;
}
