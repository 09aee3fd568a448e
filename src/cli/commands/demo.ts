/** `regtopo demo [--keep]`: the offline end-to-end run on local registries (see src/demo/demo.ts). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('start local registries from the example registries.yaml, push a generated image and move it with regtopo, printing each command (offline)')
    .option('--keep', 'leave the registries running (in the foreground, until Ctrl-C) and print how to replay the commands against them', false)
    .addHelpText('after', `
Examples:
  regtopo demo                 the whole story, then everything is stopped
                               and removed
  regtopo demo --keep          the same, then the registries stay up until
                               Ctrl-C: paste any printed "$ regtopo …" line
  regtopo demo --output json   each step's result as JSON`)
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { runDemo, keptHint } = await import('../../demo/demo.js');
        const json = opts.output === 'json';
        const log = json || opts.quiet ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
        const { steps, kept } = await runDemo({ log, keep: opts.keep === true });
        if (!kept) return { data: { steps }, text: ['demo finished'] };
        // Foreground until Ctrl-C (or SIGTERM): the registries live as long as this process, and a
        // crash or kill stops them too (their supervisors watch this process), so nothing is left behind.
        try {
          const hint = keptHint(kept);
          if (json) process.stderr.write(`${hint.join('\n')}\n`);
          else for (const line of hint) process.stdout.write(`${line}\n`);
          await new Promise<void>((resolve) => {
            if (ctx.signal.aborted) resolve();
            ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } finally {
          await kept.stop();
        }
        return { data: { steps, kept: { file: kept.file, dir: kept.dir, env: kept.env, stopped: true } }, text: ['registries stopped; demo finished'] };
      });
    });
}
