/** `regtopo promote [IMAGE…|--all] --to STAGE`: gates, approval, copy by digest, tags, records. */
import type { Command } from 'commander';
import { RegtopoError } from '../../errors.js';
import { addClientFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { outcomeOf } from '../output.js';
import { withPromotionOptions } from '../promotion-context.js';
import { planLines } from '../promotion-text.js';
import { progressDisplay } from '../progress-display.js';

export function registerPromote(program: Command, ctx: CliContext): void {
  addClientFlags(
    program
      .command('promote')
      .description('promote images to a stage: resolve once, check gates, get approval, copy by digest, set tags, record it')
      .argument('[images...]', 'promotion image names')
      .option('--all', 'every promotion image in the topology', false)
      .requiredOption('--to <stage>', 'stage to promote to')
      .option('--digest <digest>', 'promote this digest (one image) instead of resolving the stage source tags')
      .option('--version <version>', 'value of {version} in tag templates (default: the image label org.opencontainers.image.version)')
      .option('--dry-run', 'plan and check only; write nothing, ask no hook', false)
      .option('--by <name>', 'who promotes (default $REGTOPO_USER or the OS user)')
      .option('--no-replicate', 'do not replicate into the target prod\'s replicas afterwards')
      .option('--no-referrers', 'do not carry the digest\'s signatures, SBOMs and attestations (referrers)'),
  ).action(async (images: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      if (images.length === 0 && !opts.all) throw new RegtopoError('E_USAGE', 'name the images to promote, or pass --all');
      if (images.length > 0 && opts.all) throw new RegtopoError('E_USAGE', 'pass image names or --all, not both');
      const { promote } = await import('../../ops/promotion/verbs.js');
      // On a terminal: a live line for the images being copied (issue 12).
      const display = progressDisplay(opts.verbose);
      return withPromotionOptions({ ...opts, signal: ctx.signal }, async (options) => {
        const report = await promote(opts.to as string, {
          ...options, progress: display.imageEvent, images, digest: opts.digest as string | undefined, version: opts.version as string | undefined, dryRun: opts.dryRun as boolean,
          replicate: opts.replicate !== false, referrers: opts.referrers !== false,
        }).finally(() => display.done());
        const text: string[] = [];
        for (const r of report.results) {
          if (r.outcome === 'failed') text.push(`${r.image} → ${r.stage}: FAILED [${r.error?.code}] ${r.error?.message}`);
          else if (r.outcome === 'pending' || r.outcome === 'rejected') text.push(`${r.image} → ${r.stage}: ${r.outcome}: ${r.error?.message}`);
          else if (r.outcome === 'planned' && r.plan) text.push(...planLines(r.plan));
          else if (r.outcome === 'no-op') text.push(`${r.image} → ${r.stage}: already promoted (${r.digest}), nothing to do`);
          else {
            text.push(`${r.image} → ${r.stage}: promoted ${r.digest}`);
            for (const t of r.tags ?? []) text.push(`  ${t.action.padEnd(9)} ${t.ref}${t.previous ? ` (was ${t.previous})` : ''}`);
            if (r.records) text.push(`  records: ${r.records.copied} copied, ${r.records.present} already there`);
            if (r.referrers) text.push(`  referrers: ${r.referrers.copied} copied, ${r.referrers.present} already there${r.referrers.warnings.length ? `; ${r.referrers.warnings.length} warning(s): ${r.referrers.warnings.join('; ')}` : ''}`);
            if (r.promotionRecord) text.push(`  promotion record ${r.promotionRecord}`);
          }
        }
        // Replication (issue 11): one line per replica; promoted but a replica did not converge is its
        // own outcome (E_REPLICATION_INCOMPLETE, exit 15).
        const { replicationLines } = await import('../replication-text.js');
        text.push(...replicationLines(report.replication));
        const outcome = !report.ok ? outcomeOf(false, report.errorCode) : outcomeOf(!report.replication || report.replication.ok, report.replication?.errorCode);
        return { data: report, text, outcome };
      });
    });
  });
}
