/** `regtopo copy SRC DST`: digest-exact copy of an image, index or artifact. */
import type { Command } from 'commander';
import type { Topology } from '../../topology/model.js';
import { addClientFlags, withClient } from '../client-flags.js';
import { collectList, parsePositiveInt, type CliContext } from '../context.js';
import { formatTransfer, progressDisplay } from '../progress-display.js';
import { writeGuard } from '../write-guard.js';

export function registerCopy(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('copy')
    .description('copy an image (all platforms by default) between registries or OCI layouts, digest-exact')
    .argument('<source>', 'source: host/repo[:tag][@digest] or oci:DIR[:tag]')
    .argument('<target>', 'target: host/repo[:tag] or oci:DIR[:tag]')
    .option('--platform <list>', 'copy only these platforms (os/arch[/variant], comma-separated); writes a reduced index', collectList)
    .option('-j, --jobs <n>', 'parallel blob transfers (default 8); when given, also the most mounts at once (default 16)', parsePositiveInt('--jobs'))
    .option('--include-foreign', 'also copy non-distributable (foreign) layers the source holds; by default they stay behind, fetched from their urls')
    .option('--referrers', 'also copy what refers to the digest: signatures, SBOMs, attestations (OCI referrers, the fallback tag, cosign tags), recursively and for each platform')
    .option('--no-referrers', 'copy the image alone (the default for copy)')
    .addHelpText('after', `
Examples:
  regtopo copy ci.example.com/app:1.4.2 prod.example.com/app:1.4.2
  regtopo copy ci.example.com/app:latest oci:./backup:latest \\
    --platform linux/amd64,linux/arm64
  regtopo copy ci.example.com/app@sha256:… prod.example.com/app:1.4.2
  regtopo copy mcr.microsoft.com/windows/servercore:ltsc2022 oci:./win \\
    --include-foreign
  regtopo copy --referrers ci.example.com/app:1.4.2 prod.example.com/app:1.4.2

A target without a tag takes the source's tag; a source by digest into an
untagged target is pushed by digest only (the summary says nothing was tagged).`);
  addClientFlags(cmd).action(async (source: string, target: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { copy } = await import('../../ops/copy.js');
      const { BlobLocationCache } = await import('../../ops/blob-locations/blob-location-cache.js');
      const progress = progressDisplay(opts.verbose);
      return withClient(opts, async (client, topology) => {
        try {
          const r = await copy(source, target, {
            client,
            platforms: opts.platform as string[] | undefined,
            jobs: await jobsFor(opts.jobs as number | undefined, topology, source, target),
            progress: progress.onEvent,
            authorizeWrite: await writeGuard(topology, 'copy'),
            signal: ctx.signal,
            includeForeign: opts.includeForeign === true,
            blobLocations: new BlobLocationCache(),
            mountCandidates: await candidatesFor(topology, target),
            referrers: opts.referrers === true,
          });
          const tagging = await taggingNote(source, target);
          const referrerLines = r.referrers ? [
            `referrers: ${r.referrers.copied} copied, ${r.referrers.present} already there${r.referrers.fallbackTags ? `, ${r.referrers.fallbackTags} fallback tag(s) merged` : ''}`,
            ...r.referrers.warnings.map((w) => `warning: ${w}`),
          ] : [];
          const text = r.upToDate
            ? [`${r.target}: already at ${r.digest}, nothing copied`, ...referrerLines]
            : [
                `copied ${r.source} → ${r.target}`,
                `digest ${r.digest}${r.platformSubset ? ` (platform subset: differs from source ${r.sourceDigest})` : ''}`,
                `blobs: ${r.blobs.copied} copied, ${r.blobs.mounted} mounted, ${r.blobs.existing} already present; ${formatTransfer(r.bytes, r.durationMs)}`,
                ...(tagging ? [tagging] : []),
                ...(r.foreignSkipped > 0 ? [`${r.foreignSkipped} non-distributable layer(s) left behind (clients fetch them from their urls; --include-foreign copies them)`] : []),
                ...referrerLines,
              ];
          return { data: r, text };
        } finally {
          progress.done();
        }
      }, { source, others: [target] });
    });
  });
}

/**
 * What a target without a tag ends up with: the source's tag, or, for a source by digest, no tag
 * at all (only the digest), which the user should hear about rather than find out later.
 */
async function taggingNote(source: string, target: string): Promise<string | undefined> {
  const { parseLocation } = await import('../../ref/location.js');
  const { tagOf } = await import('../../ops/open-store.js');
  const src = parseLocation(source);
  const dst = parseLocation(target);
  const dstDigest = dst.kind === 'registry' ? dst.ref.digest : dst.digest;
  if (tagOf(dst) !== undefined || dstDigest !== undefined) return undefined;
  const tag = tagOf(src);
  if (tag !== undefined) return `tagged ${tag} (the source's tag; the target named none)`;
  const srcDigest = src.kind === 'registry' ? src.ref.digest : src.digest;
  return srcDigest ? `nothing was tagged: the source is a digest and the target names no tag (pushed as ${srcDigest} only)` : undefined;
}

/** --jobs, capped by the topology's `limits.concurrency` for the registries involved. */
async function jobsFor(flag: number | undefined, topology: Topology | undefined, source: string, target: string): Promise<number | undefined> {
  if (!topology) return flag;
  const { parseLocation } = await import('../../ref/location.js');
  const { concurrencyLimit } = await import('../../topology/registry-lookup.js');
  const refs = [parseLocation(source), parseLocation(target)].flatMap((l) => (l.kind === 'registry' ? [l.ref] : []));
  const limit = concurrencyLimit(topology, ...refs);
  if (limit === undefined) return flag;
  const { DEFAULT_JOBS } = await import('../../ops/copy.js');
  return Math.min(flag ?? DEFAULT_JOBS, limit);
}

/** With a topology: the other repositories it writes in the target's registry, to mount from. */
async function candidatesFor(topology: Topology | undefined, target: string): Promise<string[]> {
  if (!topology) return [];
  const { parseLocation } = await import('../../ref/location.js');
  const to = parseLocation(target);
  if (to.kind !== 'registry') return [];
  const { mountCandidates } = await import('../../ops/mount-candidates.js');
  return mountCandidates(topology, to.ref);
}
