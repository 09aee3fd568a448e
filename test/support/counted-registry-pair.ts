/**
 * Two real registries, each behind its own fault proxy used as a counter: the proxies record every
 * request and every connection they accept, so tests read round trips and connection reuse on both
 * sides of a copy. Reach the source at `up.host` and the target at `down.host`.
 */
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startTestRegistry, type TestRegistry } from './registry.js';

export interface CountedRegistryPair {
  src: TestRegistry;
  dst: TestRegistry;
  /** In front of `src`. */
  up: FaultProxy;
  /** In front of `dst`. */
  down: FaultProxy;
  /** Clears both proxies' records and rules. */
  reset(): void;
  /** Stops both proxies, then both registries. */
  stop(): Promise<void>;
}

export async function countedRegistryPair(): Promise<CountedRegistryPair> {
  const [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
  const [up, down] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
  return {
    src, dst, up, down,
    reset() {
      up.reset();
      down.reset();
    },
    async stop() {
      await Promise.all([up.stop(), down.stop()]);
      await Promise.all([src.stop(), dst.stop()]);
    },
  };
}
