/** `regtopo history IMAGE`: promotion records, newest first. */
import type { Command } from 'commander';
import { addClientFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { withPromotionOptions } from '../promotion-context.js';

export function registerHistory(program: Command, ctx: CliContext): void {
  addClientFlags(
    program.command('history').description('promotions of an image, newest first, with their evidence and approvers').argument('<image>', 'promotion image name'),
  ).action(async (image: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { history } = await import('../../ops/promotion/verbs.js');
      return withPromotionOptions({ ...opts, signal: ctx.signal }, async (options) => {
        const entries = await history(image, options);
        const text = entries.length === 0 ? [`${image}: no promotions recorded`] : entries.flatMap((h) => [
          `${h.at} ${h.stage} ${h.digest} by ${h.by}${h.approvedBy.length ? `, approved by ${h.approvedBy.join(', ')}` : ''}`,
          `  ${h.source} → ${h.targets.join(', ')}`,
        ]);
        return { data: { image, history: entries }, text };
      });
    });
  });
}
