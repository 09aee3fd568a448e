/**
 * Registry connection flags shared by every command that talks to a registry, turned into one
 * RegistryClient. Defaults live in RegistryClient; flags only override them.
 */
import { Option, type Command } from 'commander';
import type { RegistryClient } from '../registry/registry-client.js';

export function addClientFlags(cmd: Command): Command {
  return cmd
    .option('--insecure', 'use plain http for non-loopback registries', false)
    .option('--ca-file <file>', 'PEM CA bundle that signed the registries\' certificates')
    .addOption(new Option('--no-tls-verify', 'accept any TLS certificate (test setups only)'));
}

export interface ClientFlags {
  insecure?: boolean;
  caFile?: string;
  tlsVerify?: boolean;
  verbose?: boolean;
}

export async function clientFromFlags(flags: ClientFlags): Promise<RegistryClient> {
  const { RegistryClient } = await import('../registry/registry-client.js');
  return new RegistryClient({
    defaults: { insecure: flags.insecure || undefined, caFile: flags.caFile, tlsVerify: flags.tlsVerify === false ? false : undefined },
    logger: flags.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
}
