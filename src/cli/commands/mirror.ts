/** `regtopo mirror`: run the topology's mirror rules into the Archive (see ops/mirror/run.ts). */
import { InvalidArgumentError, type Command } from 'commander';
import { verboseLogger } from '../cli-logger.js';
import type { CliContext } from '../context.js';
import { outcomeOf } from '../output.js';
import { collectList, parsePositiveInt } from '../context.js';
import { requireTopologyPath } from '../topology-file.js';
import { progressDisplay } from '../progress-display.js';

export function registerMirror(program: Command, ctx: CliContext): void {
  program
    .command('mirror')
    .description('mirror upstream images (Docker Hub by default) into the archive as the topology\'s mirrors: rules say; HEAD-only when nothing changed')
    .option('--rule <name>', 'only this rule (repeatable, or comma-separated)', collectList)
    .option('--dry-run', 'decide and report; write and pull nothing', false)
    .option('--shard <I/N>', 'this worker\'s share of the (rule, tag) pairs, e.g. 2/3')
    .option('--lock <file>', 'hold this lock file for the run; exit 14 if another run holds it (a lock whose heartbeat is 30 s old is taken over)')
    .option('--reserve <n>', 'stop (exit 13) before an upstream pull once its remaining quota is at or below N (default 10)', parseNonNegativeInt)
    .option('-j, --jobs <n>', 'tags mirrored in parallel per rule (default 16, or a lower limits.concurrency of its registries)', parsePositiveInt('--jobs'))
    .option('--no-referrers', 'do not carry the signatures, SBOMs and attestations (referrers) of copied tags')
    .action(async (_o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { mirror, formatReport } = await import('../../ops/mirror/index.js');
        const { onlyNetworkFailures } = await import('../../ops/mirror/report.js');
        const { loadValidTopology } = await import('../topology-cache.js');
        const { BlobLocationCache } = await import('../../ops/blob-locations/blob-location-cache.js');
        const config = await loadValidTopology(await requireTopologyPath(opts.file), opts.env);
        // On a terminal: a live line for the tag copies in flight (issue 12).
        const display = progressDisplay(opts.verbose);
        const report = await mirror(config, {
          progress: display.imageEvent,
          rules: opts.rule as string[] | undefined,
          dryRun: opts.dryRun === true,
          shard: opts.shard as string | undefined,
          lockFile: opts.lock as string | undefined,
          reserve: opts.reserve as number | undefined,
          jobs: opts.jobs as number | undefined,
          blobLocations: new BlobLocationCache(),
          signal: ctx.signal,
          referrers: opts.referrers !== false,
          clientOptions: { logger: verboseLogger(opts.verbose) },
        }).finally(() => display.done());
        const failure = report.outcome === 'rate-reserve' ? 'E_RATE_RESERVE'
          : report.outcome === 'rate-limited' ? 'E_RATE_LIMITED'
          : report.outcome === 'partial' ? (onlyNetworkFailures(report) ? 'E_NETWORK' : 'E_PARTIAL')
          : undefined;
        return { data: report, text: formatReport(report), outcome: outcomeOf(failure === undefined, failure) };
      });
    });
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--reserve must be a non-negative integer, got "${value}"`);
  return n;
}
