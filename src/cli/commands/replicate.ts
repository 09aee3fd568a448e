/** `regtopo replicate [IMAGE…]`: converge prod's replicas to it (see ops/replicate). */
import type { Command } from 'commander';
import { addClientFlags, clientFromFlags } from '../client-flags.js';
import { collectList, parsePositiveInt, type CliContext } from '../context.js';
import { outcomeOf } from '../output.js';
import { requireTopologyPath } from '../topology-file.js';
import { progressDisplay } from '../progress-display.js';

const EXAMPLES = `
Examples:
  regtopo replicate                  every promoted image's repository,
                                     to every replica
  regtopo replicate app --replica prod-eu
                                     one image, one replica
  regtopo replicate --all --dry-run  every repository prod's catalog lists;
                                     write nothing
  regtopo replicate --all --prune    also delete tags only a replica has
  regtopo replicate --output json    { replicas: [{ name, registry, tags }],
                                       summary }`;

export function registerReplicate(program: Command, ctx: CliContext): void {
  addClientFlags(
    program
      .command('replicate')
      .description('converge every replica of a prod registry to it: each tag → the same digest, with records and referrers; HEADs only when in sync')
      .argument('[images...]', 'promotion image names (default: every image promoted into the prod)')
      .option('--all', 'every repository prod\'s catalog lists', false)
      .option('--replica <name>', 'only this replica (repeatable, or comma-separated)', collectList)
      .option('--dry-run', 'decide and report; write nothing', false)
      .option('--prune', 'delete tags that exist only in the replica', false)
      .option('-j, --jobs <n>', 'parallel HEADs and blob transfers (default 8)', parsePositiveInt('--jobs'))
      .option('--no-referrers', 'do not carry referrers (signatures, SBOMs, attestations) by digest'),
  ).addHelpText('after', EXAMPLES).action(async (images: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { replicate, formatReplicateReport } = await import('../../ops/replicate/index.js');
      const { loadValidTopology } = await import('../topology-cache.js');
      const topology = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
      const client = await clientFromFlags(opts, topology);
      // On a terminal: a live line for the tag copies in flight (issue 12).
      const display = progressDisplay(opts.verbose);
      try {
        const report = await replicate({
          progress: display.imageEvent,
          topology, client, images, all: opts.all === true, replicas: opts.replica as string[] | undefined,
          dryRun: opts.dryRun === true, prune: opts.prune === true, jobs: opts.jobs as number | undefined,
          referrers: opts.referrers !== false,
        });
        return { data: report, text: formatReplicateReport(report), outcome: outcomeOf(report.ok) };
      } finally {
        display.done();
        await client.close();
      }
    });
  });
}
