/** `regtopo status set REF NAME=VALUE` / `regtopo status get REF`: statuses kept next to the image. */
import type { Command } from 'commander';
import { RegtopoError } from '../../errors.js';
import { addClientFlags, clientFromFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { optionalTopology } from '../optional-topology.js';
import { expandHome } from '../promotion-key.js';
import { cliSettings } from '../cli-settings.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  const status = program.command('status').description('record or read build statuses (tests, scans) stored in the registry next to an image');

  addClientFlags(
    status
      .command('set')
      .description('record NAME=VALUE for the digest REF resolves to (resolved once)')
      .argument('<ref>', 'image reference: host/repo:tag or host/repo@digest')
      .argument('<assignment>', 'NAME=VALUE, e.g. unit-tests=passed')
      .option('--detail <text>', 'free text stored with the status')
      .option('--url <url>', 'link to the run (CI job, report)')
      .option('--key <file>', 'sign the record with this SSH key (gates with signedBy count only signed records)')
      .option('--by <name>', 'who records it, for unsigned records (default $REGTOPO_USER or the OS user)')
      .addHelpText('after', `
Examples:
  regtopo status set ci.example.com/app:latest unit-tests=passed --detail '412 tests' --url "$CI_JOB_URL"
  regtopo status set ci.example.com/app@sha256:4f1c… scan=clean --key /run/secrets/scanner_ed25519`),
  ).action(async (ref: string, assignment: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new RegtopoError('E_USAGE', `expected NAME=VALUE, got "${assignment}"`);
      const { setStatus } = await import('../../ops/promotion/statuses.js');
      const topology = await optionalTopology(opts);
      const client = await clientFromFlags(opts, topology);
      try {
        const r = await setStatus(ref, assignment.slice(0, eq), assignment.slice(eq + 1), {
          client, topology, by: opts.by as string | undefined, detail: opts.detail as string | undefined, url: opts.url as string | undefined,
          keyFile: expandHome(opts.key as string | undefined), signal: ctx.signal,
        });
        const who = r.status.signedBy?.length ? `signed by ${r.status.signedBy.join('/')}` : `by ${r.status.by}${opts.key ? ', signed with a key the topology does not list' : ''}`;
        for (const w of r.warnings ?? []) if (!cliSettings().quiet) process.stderr.write(`regtopo: warning: ${w}\n`);
        return { data: r, text: [`${r.ref}: ${r.status.name}=${r.status.value} (${who}, record ${r.status.record})`] };
      } finally {
        await client.close();
      }
    });
  });

  addClientFlags(
    status
      .command('get')
      .description('list the statuses of the digest REF resolves to (current values, and history with --all)')
      .argument('<ref>', 'image reference')
      .option('--all', 'show every recorded value, oldest first', false),
  ).action(async (ref: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { getStatuses } = await import('../../ops/promotion/statuses.js');
      const topology = await optionalTopology(opts);
      const client = await clientFromFlags(opts, topology);
      try {
        const r = await getStatuses(ref, { client, topology, signal: ctx.signal });
        const rows = opts.all ? r.history : r.current;
        const text = [`${r.ref}`, ...(rows.length === 0 ? ['  no statuses recorded'] : rows.map((s) => `  ${s.name}=${s.value}  ${s.at} ${s.signedBy?.length ? `signed by ${s.signedBy.join('/')}` : `by ${s.by}`}${s.detail ? `  ${s.detail}` : ''}${s.url ? `  ${s.url}` : ''}`))];
        for (const c of r.contradictions) text.push(`  ${c.name}: CONTRADICTORY ${(c.contradiction ?? []).map((e) => `${e.value} (${e.at})`).join(' vs ')}`);
        for (const w of r.warnings) text.push(`  warning: ${w}`);
        return { data: r, text };
      } finally {
        await client.close();
      }
    });
  });
}
