/** `regtopo validate [-f FILE] [--env ENV]`: schema, environment and rule check; exit 0 valid, 2 invalid. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { outcomeOf } from '../output.js';
import { requireTopologyPath } from '../topology-file.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check a topology file (-f FILE, default ./registries.yaml) against the schema and the topology rules; --env checks that overlay')
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { loadTopology, formatDiagnostic } = await import('../../topology/index.js');
        const path = await requireTopologyPath(opts.file);
        const loaded = await loadTopology({ path }, { env: opts.env });
        const diagnostics = [...loaded.errors, ...loaded.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
        const counts = `${plural(loaded.errors.length, 'error')}, ${plural(loaded.warnings.length, 'warning')}`;
        const environment = loaded.config?.environment;
        const summary = loaded.valid
          ? `${loaded.file}: valid${environment !== undefined ? ` (environment ${environment})` : ''}, ${counts}`
          : `${loaded.file}: invalid, ${counts}`;
        return {
          data: { file: loaded.file, valid: loaded.valid, errors: loaded.errors, warnings: loaded.warnings },
          text: [...diagnostics.map((d) => formatDiagnostic(loaded.file, d)), summary],
          outcome: outcomeOf(loaded.valid, 'E_TOPOLOGY_INVALID'),
        };
      });
    });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
