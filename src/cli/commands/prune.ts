/** `regtopo prune [REGISTRY…] [--confirm]`: the topology's retention policies (see ops/prune/). */
import type { Command } from 'commander';
import { addClientFlags, clientFromFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { outcomeOf } from '../output.js';
import { parsePositiveInt } from '../context.js';
import { requireTopologyPath } from '../topology-file.js';

const EXAMPLES = `
Examples:
  regtopo prune                         # dry run: every registry with a policy
  regtopo prune ci-snapshots --confirm  # delete what the policy allows there
  regtopo prune --output json \\
    | jq '.registries[].repositories[].tags[] | select(.action == "delete")'

A dry run unless --confirm. Deleting is by digest (every tag on it goes); the
registry's own garbage collection (docker-registry garbage-collect config.yml)
reclaims the space afterwards.`;

export function registerPrune(program: Command, ctx: CliContext): void {
  addClientFlags(
    program
      .command('prune')
      .description('delete old tags from sandbox and ci registries as their retention policies say, never what a later stage, prod or a record needs (dry run unless --confirm)')
      .argument('[registries...]', 'registry names (default: every registry with a retention policy)')
      .option('--confirm', 'delete; without it nothing is written', false)
      .option('-j, --jobs <n>', 'requests in flight per repository (default 8)', parsePositiveInt('--jobs'))
      .addHelpText('after', EXAMPLES),
  ).action(async (registries: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { prune, formatPruneReport } = await import('../../ops/prune/index.js');
      const { loadValidTopology } = await import('../topology-cache.js');
      const topology = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
      const client = await clientFromFlags(opts, topology);
      try {
        const report = await prune({
          topology, client, registries, confirm: opts.confirm === true, jobs: opts.jobs as number | undefined, signal: ctx.signal,
        });
        return { data: report, text: formatPruneReport(report), outcome: outcomeOf(!report.summary.failed) };
      } finally {
        await client.close();
      }
    });
  });
}
