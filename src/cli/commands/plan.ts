/** `regtopo plan [IMAGE…] --to STAGE`: what promote would do, with gates and approval state. No writes. */
import type { Command } from 'commander';
import { addClientFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { withPromotionOptions } from '../promotion-context.js';
import { planLines } from '../promotion-text.js';

export function registerPlan(program: Command, ctx: CliContext): void {
  addClientFlags(
    program
      .command('plan')
      .description('show what promoting to a stage would do: edges, actions, gates with evidence, approval state (no writes)')
      .argument('[images...]', 'promotion image names (default: all)')
      .requiredOption('--to <stage>', 'stage to promote to')
      .option('--digest <digest>', 'plan this digest instead of resolving the stage source tags')
      .option('--version <version>', 'value of {version} in tag templates'),
  ).action(async (images: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { plan } = await import('../../ops/promotion/verbs.js');
      return withPromotionOptions({ ...opts, signal: ctx.signal }, async (options) => {
        const names = images.length ? images : options.topology.promotion.images.map((i) => i.name);
        const plans = [];
        for (const name of names) plans.push(await plan(name, opts.to as string, { ...options, digest: opts.digest as string | undefined, version: opts.version as string | undefined }));
        return { data: { stage: opts.to, plans }, text: plans.flatMap(planLines) };
      });
    });
  });
}
