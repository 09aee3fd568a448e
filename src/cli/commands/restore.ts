/** `regtopo restore oci:DIR TARGET`: a backup layout pushed back digest-exact (see ops/backup). */
import type { Command } from 'commander';
import { addClientFlags, clientFromFlags } from '../client-flags.js';
import { collectList, parsePositiveInt, type CliContext } from '../context.js';
import { progressDisplay } from '../progress-display.js';
import { outcomeOf } from '../output.js';

const EXAMPLES = `
Examples:
  regtopo restore oci:./backups/prod prod            every ref back into prod
                                                     (a recovery action)
  regtopo restore oci:./backups/prod 127.0.0.1:5000 --repository team/app
  regtopo restore oci:./backups/prod prod --dry-run  say what would be pushed`;

export function registerRestore(program: Command, ctx: CliContext): void {
  addClientFlags(
    program
      .command('restore')
      .description('push a backup layout\'s refs back into a registry, digest-exact, after verifying the layout; may write into prod')
      .argument('<layout>', 'oci:DIR written by regtopo backup')
      .argument('<target>', 'a registry name from the topology, or host[:port]')
      .option('--repository <repo>', 'only this repository (repeatable, or comma-separated)', collectList)
      .option('--dry-run', 'verify and report; push nothing', false)
      .option('-j, --jobs <n>', 'parallel blob transfers (default 8)', parsePositiveInt('--jobs'))
      .option('--no-referrers', 'do not restore referrers by merging; the layout\'s fallback and cosign refs are then pushed as plain tags'),
  ).addHelpText('after', EXAMPLES).action(async (layout: string, target: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { restore } = await import('../../ops/backup/index.js');
      const { optionalTopology } = await import('../optional-topology.js');
      const topology = await optionalTopology(opts);
      const client = await clientFromFlags(opts, topology);
      // On a terminal: a live line for the tag copies in flight (issue 12).
      const display = progressDisplay(opts.verbose);
      try {
        const report = await restore(layout, target, {
          progress: display.imageEvent,
          topology, client, repositories: opts.repository as string[] | undefined, dryRun: opts.dryRun === true, jobs: opts.jobs as number | undefined, signal: ctx.signal,
          referrers: opts.referrers !== false,
        });
        const n = (a: string) => report.refs.filter((r) => r.action === a).length;
        const text = [
          report.notice,
          `verified oci:${report.layout}: ${report.verify.blobs} blobs, all match`,
          ...report.refs.filter((r) => r.action !== 'in-sync').map((r) => `  ${r.action.padEnd(13)} ${r.ref} ${r.digest}${r.error ? ` [${r.error.code}] ${r.error.message}` : ''}`),
          `${report.dryRun ? 'dry run: ' : ''}${n('restored')} restored, ${n('would-restore')} would be restored, ${n('in-sync')} already there, ${n('failed')} failed${report.skipped.length ? `; ${report.skipped.length} refs not REPOSITORY:TAG skipped` : ''}`,
          ...(report.referrers ? [`referrers: ${report.referrers.copied} restored, ${report.referrers.present} already there${report.referrers.warnings.length ? `; ${report.referrers.warnings.length} warning(s): ${report.referrers.warnings.join('; ')}` : ''}`] : []),
        ];
        return { data: report, text, outcome: outcomeOf(report.ok) };
      } finally {
        display.done();
        await client.close();
      }
    });
  });
}
