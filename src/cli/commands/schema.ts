/** `regtopo schema`: the JSON Schema of registries.yaml, for editors (yaml-language-server $schema). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of registries.yaml (for editor autocompletion)')
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const { topologyJsonSchema } = await import('../../topology/schema.js');
        const schema = topologyJsonSchema();
        return { data: schema, text: [JSON.stringify(schema, null, 2)] };
      });
    });
}
