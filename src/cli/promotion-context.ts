/**
 * The PromotionContext for promotion commands: the topology (required: -f, or ./registries.yaml,
 * plus --env) and a client configured from it. `--by` names the actor; default $REGTOPO_USER.
 */
import type { PromotionContext } from '../ops/promotion/context.js';
import { clientFromFlags, type ClientFlags } from './client-flags.js';
import type { GlobalOptions } from './output.js';
import { requireTopologyPath } from './topology-file.js';

export async function promotionContext(opts: GlobalOptions & ClientFlags & { by?: string; signal?: AbortSignal }): Promise<PromotionContext> {
  const { loadValidTopology } = await import('./topology-cache.js');
  const topology = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
  const client = await clientFromFlags(opts, topology);
  return { topology, client, ...(opts.by ? { by: opts.by } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
}

/** Runs `body` with a context and closes its client afterwards. */
export async function withPromotionContext<T>(opts: GlobalOptions & ClientFlags & { by?: string; signal?: AbortSignal }, body: (ctx: PromotionContext) => Promise<T>): Promise<T> {
  const ctx = await promotionContext(opts);
  try {
    return await body(ctx);
  } finally {
    await ctx.client.close();
  }
}
