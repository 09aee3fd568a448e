/** `regtopo tags REPO`: list a repository's tags. */
import type { Command } from 'commander';
import { addClientFlags, withClient } from '../client-flags.js';
import type { CliContext } from '../context.js';

export function registerTags(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('tags')
    .description('list the tags of a repository')
    .argument('<repository>', 'host/repo or oci:DIR')
    .addHelpText('after', `
Examples:
  regtopo tags registry.example.com/team/app
  regtopo tags 127.0.0.1:5000/app --output json
  regtopo tags oci:./backup

Entries of the registry's tag list that are not valid tags are skipped and named on stderr
("skipped" in JSON output): a hostile registry must not turn them into request paths.`);
  addClientFlags(cmd).action(async (repository: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { listTags } = await import('../../ops/list-tags.js');
      return withClient(opts, async (client) => {
        const skipped: string[] = [];
        const tags = await listTags(repository, { client, signal: ctx.signal, onInvalidTag: (raw) => skipped.push(raw) });
        if (opts.output !== 'json') {
          for (const raw of skipped) process.stderr.write(`regtopo: warning: skipped tag-list entry that is not a valid tag: ${JSON.stringify(raw.slice(0, 300))}\n`);
        }
        return { data: { repository, tags, ...(skipped.length > 0 && { skipped }) }, text: tags };
      });
    });
  });
}
