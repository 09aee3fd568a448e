/**
 * The writes a store has started and not yet finished, so a caller that gives up early (an
 * interrupted copy fails at its first aborted transfer while its siblings are still unwinding) can
 * wait until every upload session is cancelled and every temp file removed before it returns.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => void this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves once nothing is running, including writes started while waiting. Never rejects. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
