/** `regtopo check [--env ENV]`: audit the live registries against the topology; exit 9 on findings. */
import { verboseLogger } from '../cli-logger.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { requireTopologyPath } from '../topology-file.js';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('audit the live registries of the topology: reachable, TLS valid, credentials accepted, write authority enforced (probes uploads without pushing)')
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { checkTopology } = await import('../../ops/check.js');
        const { loadValidTopology } = await import('../topology-cache.js');
        const config = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
        const result = await checkTopology(config, { logger: verboseLogger(opts.verbose), signal: ctx.signal });
        const width = Math.max(...result.registries.map((r) => r.name.length));
        const text = result.registries.map((r) => {
          const state = r.findings.length ? `FINDING ${r.findings.join('; ')}` : `ok (${r.access}${r.writableBy.length ? `, writable by ${r.writableBy.join(', ')}` : ', probes could not write'})`;
          return `${r.name.padEnd(width)}  ${r.role.padEnd(7)}  ${r.url}  ${state}`;
        });
        text.push(`${result.registries.length} registries checked, ${result.findings} finding${result.findings === 1 ? '' : 's'}`);
        return { data: result, text, outcome: result.findings ? { kind: 'findings' } : { kind: 'ok' } };
      });
    });
}
