/** `regtopo graph [--format mermaid|dot]`: the topology as a Mermaid or Graphviz picture. */
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { requireTopologyPath } from '../topology-file.js';

export function registerGraph(program: Command, ctx: CliContext): void {
  program
    .command('graph')
    .description('draw the topology: registries by role, who pushes and pulls, promotion, replication, mirroring, backup')
    .addOption(new Option('--format <format>', 'mermaid (renders on GitHub) or dot (Graphviz)').choices(['mermaid', 'dot']).default('mermaid'))
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { renderGraph } = await import('../../topology/graph/index.js');
        const { loadValidTopology } = await import('../topology-cache.js');
        const config = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
        const format = opts.format as 'mermaid' | 'dot';
        const rendered = renderGraph(config, format);
        return { data: { format, environment: config.environment ?? null, graph: rendered }, text: [rendered.replace(/\n$/, '')] };
      });
    });
}
