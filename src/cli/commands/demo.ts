/** `regtopo demo`: the offline end-to-end run on local registries (see src/local/demo.ts). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('start local registries, push a generated image and move it with regtopo (offline)')
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { runDemo } = await import('../../local/demo.js');
        const log = opts.output === 'json' ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
        const steps = await runDemo({ log });
        return { data: { steps }, text: ['demo finished'] };
      });
    });
}
