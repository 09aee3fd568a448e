/** `regtopo inventory`: per image and stage, the digest, tags, statuses, approvals and when. */
import type { Command } from 'commander';
import { addClientFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { withPromotionOptions } from '../promotion-context.js';

export function registerInventory(program: Command, ctx: CliContext): void {
  addClientFlags(
    program.command('inventory').description('what each stage holds per image: digest, tags, statuses, approvals, promotion time').argument('[images...]', 'promotion image names (default: all)'),
  ).action(async (images: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { inventory } = await import('../../ops/promotion/verbs.js');
      return withPromotionOptions(opts, async (options) => {
        const entries = await inventory({ ...options, images });
        const text = entries.flatMap((e) => {
          if (!e.digest) return [`${e.image} ${e.stage.padEnd(8)} ${e.registry}: nothing yet`];
          return [
            `${e.image} ${e.stage.padEnd(8)} ${e.registry}: ${e.digest} [${e.tags.join(', ')}]${e.promotedAt ? ` promoted ${e.promotedAt} by ${e.promotedBy}` : ''}`,
            ...(e.statuses.length ? [`  statuses: ${e.statuses.map((s) => `${s.name}=${s.value}`).join(', ')}`] : []),
            ...(e.approvals.length ? [`  approvals: ${e.approvals.map((a) => `${a.stage} ${a.decision} by ${a.by}`).join(', ')}`] : []),
            ...(e.replicas ?? []).map((r) => `  replica ${r.name}: ${r.error ? `unreachable [${r.error.code}]` : r.digest ? `${r.digest} ${r.inSync ? 'in sync' : 'OUT OF SYNC'}` : 'nothing yet (OUT OF SYNC)'}`),
          ];
        });
        const html = opts.output === 'html' ? await (await import('../inventory-page.js')).inventoryPage(options, entries) : undefined;
        return { data: { inventory: entries }, text, ...(html !== undefined && { html }) };
      });
    });
  });
}
