/** `regtopo backup [REGISTRY…]`: registries into their OCI layout backups (see ops/backup). */
import type { Command } from 'commander';
import { addClientFlags, clientFromFlags } from '../client-flags.js';
import { parsePositiveInt, type CliContext } from '../context.js';
import { outcomeOf } from '../output.js';
import { requireTopologyPath } from '../topology-file.js';
import { progressDisplay } from '../progress-display.js';

const EXAMPLES = `
Examples:
  regtopo backup                        every registry with a backup: target
  regtopo backup prod --to oci:/mnt/bk  one registry into another layout
  regtopo backup --verify               then re-hash every blob and manifest
  skopeo inspect oci:./backups/prod:team/app:1.4.2   refs are REPOSITORY:TAG`;

export function registerBackup(program: Command, ctx: CliContext): void {
  addClientFlags(
    program
      .command('backup')
      .description('back registries up into an OCI image layout (refs REPOSITORY:TAG); incremental, never deletes, crash-safe')
      .argument('[registries...]', 'registry names (default: every registry with a backup: target)')
      .option('--to <oci:DIR>', 'write into this layout instead of the topology\'s target (one registry)')
      .option('--verify', 're-hash every blob and manifest in the layout afterwards', false)
      .option('-j, --jobs <n>', 'parallel HEADs and blob transfers (default 8)', parsePositiveInt('--jobs'))
      .option('--no-referrers', 'do not keep referrers (signatures, SBOMs, attestations) with the images; fallback and cosign tags are then copied as plain tags'),
  ).addHelpText('after', EXAMPLES).action(async (registries: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { backup } = await import('../../ops/backup/index.js');
      const { loadValidTopology } = await import('../topology-cache.js');
      const topology = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
      const client = await clientFromFlags(opts, topology);
      // On a terminal: a live line for the tag copies in flight (issue 12).
      const display = progressDisplay(opts.verbose);
      try {
        const report = await backup({ progress: display.imageEvent, topology, client, registries, to: opts.to as string | undefined, verify: opts.verify === true, jobs: opts.jobs as number | undefined, signal: ctx.signal, referrers: opts.referrers !== false });
        const text: string[] = [];
        for (const r of report.registries) {
          const n = (a: string) => r.refs.filter((x) => x.action === a).length;
          text.push(`${r.name} (${r.registry}) → oci:${r.layout}: ${r.repositories} repositories; ${n('added')} added, ${n('moved')} moved, ${n('unchanged')} unchanged, ${n('failed')} failed`);
          if (r.error) text.push(`  FAILED [${r.error.code}] ${r.error.message}`);
          if (r.referrers) text.push(`  referrers: ${r.referrers.copied} kept, ${r.referrers.present} already there${r.referrers.warnings.length ? `; ${r.referrers.warnings.length} warning(s): ${r.referrers.warnings.join('; ')}` : ''}`);
          for (const x of r.refs) {
            if (x.action === 'unchanged') continue;
            text.push(`  ${x.action.padEnd(9)} ${x.ref} ${x.digest}${x.historyRef ? ` (was ${x.previous}, kept as ${x.historyRef})` : ''}${x.error ? ` [${x.error.code}] ${x.error.message}` : ''}`);
          }
          if (r.verify) {
            text.push(`  verify: ${r.verify.blobs} blobs re-hashed; ${r.verify.ok ? 'all match' : `${r.verify.mismatched.length} do not match, ${r.verify.missing.length} missing`}`);
            for (const m of r.verify.mismatched) text.push(`  MISMATCH ${m.digest} hashes to ${m.actual}`);
            for (const m of r.verify.missing) text.push(`  MISSING  ${m.digest} (needed by ${m.ref})`);
          }
        }
        const integrity = report.registries.some((r) => r.verify && !r.verify.ok);
        return { data: report, text, outcome: outcomeOf(report.ok, integrity ? 'E_DIGEST_MISMATCH' : undefined) };
      } finally {
        display.done();
        await client.close();
      }
    });
  });
}
