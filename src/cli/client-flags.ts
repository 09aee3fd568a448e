/**
 * Registry connection flags shared by every command that talks to a registry, turned into one
 * RegistryClient. Defaults live in RegistryClient; flags only override them.
 */
import type { Command } from 'commander';
import type { RegistryClient } from '../registry/registry-client.js';
import type { Topology } from '../topology/model.js';
import type { EarlySocket } from './early-dial.js';
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

let earlySockets: EarlySocket[] = [];

/** The connections bin/regtopo.js opened at start-up, for the next client made here to adopt. */
export function setEarlySockets(sockets: EarlySocket[]): void {
  earlySockets = sockets;
}

/** A client for the flags; with a topology, its registries' schemes, CAs and credentials apply too. */
export async function clientFromFlags(flags: ClientFlags, topology?: Topology): Promise<RegistryClient> {
  const options = {
    defaults: { plainHttp: flags.plainHttp || undefined, insecure: flags.insecure || undefined, caFile: flags.caFile },
    logger: verboseLogger(flags.verbose),
  };
  let client: RegistryClient;
  if (topology) {
    const { clientForTopology } = await import('../ops/topology-client.js');
    client = clientForTopology(topology, options);
  } else {
    const { RegistryClient } = await import('../registry/registry-client.js');
    client = new RegistryClient(options);
  }
  // Adopted only now that the registries' schemes and ports are known; one leading elsewhere is closed.
  for (const early of earlySockets.splice(0)) {
    if (client.adoptConnection(early.registry, early.port, early.socket)) {
      early.claim();
      options.logger?.(`using a connection to ${early.registry} opened at start-up`);
    } else {
      early.socket.destroy();
    }
  }
  return client;
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
