/** `regtopo tags REPO`: list a repository's tags. */
import type { Command } from 'commander';
import { addClientFlags, withClient } from '../client-flags.js';
import { warn } from '../cli-logger.js';
import type { CliContext } from '../context.js';

export function registerTags(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('tags')
    .description('list the tags of a repository')
    .argument('<repository>', 'host/repo or oci:DIR')
    .option('--all', 'also list regtopo\'s record tags (rts-/rta-/rtp-) and sha256-… referrer and cosign tags', false)
    .addHelpText('after', `
Examples:
  regtopo tags registry.example.com/team/app
  regtopo tags 127.0.0.1:5000/app --output json
  regtopo tags 127.0.0.1:5000/app --all    records and signature tags too
  regtopo tags oci:./backup

By default the list leaves out regtopo's own record tags and the
sha256-<digest> tags of the OCI referrers fallback and of cosign (.sig, .att,
.sbom); JSON output counts them in "hidden". Other tools (crane ls, skopeo
list-tags) list them all.

Entries of the registry's tag list that are not valid tags are skipped and
named on stderr ("skipped" in JSON output): a hostile registry must not turn
them into request paths.`);
  addClientFlags(cmd).action(async (repository: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { listTags } = await import('../../ops/list-tags.js');
      const { isHiddenTag } = await import('../hidden-tags.js');
      return withClient(opts, async (client) => {
        const skipped: string[] = [];
        const listed = await listTags(repository, { client, signal: ctx.signal, onInvalidTag: (raw) => skipped.push(raw) });
        if (opts.output !== 'json') {
          for (const raw of skipped) warn(`skipped tag-list entry that is not a valid tag: ${JSON.stringify(raw.slice(0, 300))}`);
        }
        const tags = opts.all === true ? listed : listed.filter((t) => !isHiddenTag(t));
        const hidden = listed.length - tags.length;
        return { data: { repository, tags, ...(hidden > 0 && { hidden }), ...(skipped.length > 0 && { skipped }) }, text: tags };
      }, { source: repository });
    });
  });
}
