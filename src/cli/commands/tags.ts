/** `regtopo tags REPO`: list a repository's tags. */
import type { Command } from 'commander';
import { addClientFlags, withClient } from '../client-flags.js';
import type { CliContext } from '../context.js';

export function registerTags(program: Command, ctx: CliContext): void {
  const cmd = program.command('tags').description('list the tags of a repository').argument('<repository>', 'host/repo or oci:DIR');
  addClientFlags(cmd).action(async (repository: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { listTags } = await import('../../ops/list-tags.js');
      return withClient(opts, async (client) => {
        const tags = await listTags(repository, { client, signal: ctx.signal });
        return { data: { repository, tags }, text: tags };
      });
    });
  });
}
