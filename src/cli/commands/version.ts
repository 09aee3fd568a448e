/**
 * `regtopo version`: the same answer as `--version` (which bin/regtopo.js gives without loading the
 * CLI), plus the runtime, as JSON with -o json for bug reports and pipelines.
 */
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import type { CliContext } from '../context.js';

export function registerVersion(program: Command, ctx: CliContext): void {
  program
    .command('version')
    .description('print the regtopo version (and, with -o json, the Node.js runtime)')
    .addHelpText('after', '\nExamples:\n  regtopo version\n  regtopo version -o json')
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
        return { data: { version, node: process.version, platform: `${process.platform}/${process.arch}` }, text: [version] };
      });
    });
}
