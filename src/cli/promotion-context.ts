/**
 * The options promotion commands pass to the library's verbs (ops/promotion/verbs.ts): the topology
 * (required: -f, or ./registries.yaml, plus --env) and a client configured from it and the client
 * flags. `--by` names the actor; the verbs default it to $REGTOPO_USER (ops/promotion/context.ts).
 */
import type { PromotionOptions } from '../ops/promotion/context.js';
import { invalidRecordWarning } from '../ops/promotion/records.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { cliSettings } from './cli-settings.js';
import { clientFromFlags, type ClientFlags } from './client-flags.js';
import type { GlobalOptions } from './output.js';
import { requireTopologyPath } from './topology-file.js';

type PromotionFlags = GlobalOptions & ClientFlags & { by?: string; signal?: AbortSignal };

export async function promotionOptions(opts: PromotionFlags): Promise<PromotionOptions & { client: RegistryClient }> {
  const { loadValidTopology } = await import('./topology-cache.js');
  const topology = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
  const client = await clientFromFlags(opts, topology);
  return {
    topology, client, ...(opts.by ? { by: opts.by } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
    // Readers without a warnings list of their own (history, inventory) report malformed records here.
    onInvalidRecord: (invalid) => { if (!cliSettings().quiet) process.stderr.write(`regtopo: warning: ${invalidRecordWarning(invalid)}\n`); },
  };
}

/** Runs `body` with the options and closes their client afterwards (the command made it). */
export async function withPromotionOptions<T>(opts: PromotionFlags, body: (options: PromotionOptions & { client: RegistryClient }) => Promise<T>): Promise<T> {
  const options = await promotionOptions(opts);
  try {
    return await body(options);
  } finally {
    await options.client.close();
  }
}
