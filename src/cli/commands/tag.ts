/** `regtopo tag SRC TAG…`: retag in place; only manifests move. */
import type { Command } from 'commander';
import { addClientFlags, withClient } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { writeGuard } from '../write-guard.js';

export function registerTag(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('tag')
    .description('point more tags of the same repository at the manifest SOURCE resolves to (no blob traffic)')
    .argument('<source>', 'host/repo:tag or host/repo@digest')
    .argument('<tags...>', 'new tags');
  addClientFlags(cmd).action(async (source: string, tags: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { tag } = await import('../../ops/tag.js');
      return withClient(opts, async (client, topology) => {
        const r = await tag(source, tags, { client, authorizeWrite: await writeGuard(topology, 'tag'), signal: ctx.signal });
        const text = r.tags.map((t) => `${t.tag}: ${t.action}${t.previous ? ` (was ${t.previous})` : ''} → ${r.digest}`);
        return { data: r, text };
      }, { source });
    });
  });
}
