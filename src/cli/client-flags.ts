/**
 * Registry connection flags shared by every command that talks to a registry, turned into one
 * RegistryClient. Defaults live in RegistryClient; flags only override them.
 */
import type { Command } from 'commander';
import type { RegistryClient } from '../registry/registry-client.js';
import type { Topology } from '../topology/model.js';
import { verboseLogger } from './cli-logger.js';
import type { GlobalOptions } from './output.js';

export function addClientFlags(cmd: Command): Command {
  return cmd
    .option('--plain-http', 'speak plain http to non-loopback registries (loopback ones do already)')
    .option('--insecure', 'https without certificate verification (test setups only)')
    .option('--ca-file <file>', 'PEM CA bundle that signed the registries\' certificates');
}

export interface ClientFlags {
  plainHttp?: boolean;
  insecure?: boolean;
  caFile?: string;
  verbose?: boolean;
}

/** A client for the flags; with a topology, its registries' schemes, CAs and credentials apply too. */
export async function clientFromFlags(flags: ClientFlags, topology?: Topology): Promise<RegistryClient> {
  const options = {
    defaults: { plainHttp: flags.plainHttp || undefined, insecure: flags.insecure || undefined, caFile: flags.caFile },
    logger: verboseLogger(flags.verbose),
  };
  if (topology) {
    const { clientForTopology } = await import('../ops/topology-client.js');
    return clientForTopology(topology, options);
  }
  const { RegistryClient } = await import('../registry/registry-client.js');
  return new RegistryClient(options);
}

/**
 * Runs `body` with a client for the flags (and the topology, when one is in play), closing the
 * client afterwards whatever happens.
 */
export async function withClient<T>(
  flags: ClientFlags & GlobalOptions,
  body: (client: RegistryClient, topology: Topology | undefined) => Promise<T>,
  /** Arguments to probe when the body fails with "not found" (see failure-detail.ts). */
  explain?: { source?: string; others?: string[] },
): Promise<T> {
  const { optionalTopology } = await import('./optional-topology.js');
  const topology = await optionalTopology(flags);
  const client = await clientFromFlags(flags, topology);
  try {
    return await body(client, topology);
  } catch (err) {
    if (!explain) throw err;
    const { explainAuthFailure, explainFailure, registryRefs } = await import('./failure-detail.js');
    const [source] = explain.source !== undefined ? await registryRefs(explain.source) : [];
    const others = await registryRefs(...(explain.others ?? []));
    throw await explainAuthFailure(await explainFailure(err, client, source, others), [...(source ? [source] : []), ...others], topology);
  } finally {
    await client.close();
  }
}
