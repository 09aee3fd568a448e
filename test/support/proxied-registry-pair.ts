/**
 * Two real registries with the fault proxy in front of one of them, and a client that retries fast:
 * the set-up the fault, retry-budget and upload-session tests share. Faults go through
 * `pair.proxy` (addRule, count, reset); reach the proxied registry at `proxy.host`, the other one
 * directly.
 */
import { staticCredentials } from '../../src/auth/credential.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import type { RetryOptions } from '../../src/transport/retry.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startTestRegistry, type TestRegistry, type TestRegistryVariant } from './registry.js';

export interface ProxiedRegistryPair {
  src: TestRegistry;
  dst: TestRegistry;
  /** In front of `src` or `dst`, as asked. */
  proxy: FaultProxy;
  /** Anonymous, with the retry options asked for; closed by stop(). */
  client: RegistryClient;
  /** Closes the client, the proxy and both registries. */
  stop(): Promise<void>;
}

export interface ProxiedRegistryPairOptions {
  /** Which registry the proxy fronts. */
  front: 'src' | 'dst';
  /** Default plain. */
  srcVariant?: TestRegistryVariant;
  dstVariant?: TestRegistryVariant;
  retry?: Partial<RetryOptions>;
}

export async function proxiedRegistryPair(options: ProxiedRegistryPairOptions): Promise<ProxiedRegistryPair> {
  const [src, dst] = await Promise.all([startTestRegistry(options.srcVariant ?? 'plain'), startTestRegistry(options.dstVariant ?? 'plain')]);
  const proxy = await startFaultProxy((options.front === 'src' ? src : dst).url);
  const client = new RegistryClient({ credentials: staticCredentials({}), ...(options.retry ? { retry: options.retry } : {}) });
  return {
    src, dst, proxy, client,
    async stop() {
      await client.close();
      await proxy.stop();
      await Promise.all([src.stop(), dst.stop()]);
    },
  };
}
