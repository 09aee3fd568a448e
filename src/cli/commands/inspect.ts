/** `regtopo inspect REF`: digest, media type, platforms, config summary, referrers. */
import type { Command } from 'commander';
import { addClientFlags, withClient } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../progress-display.js';
import type { InspectResult } from '../../ops/inspect.js';
import type { ReferrerKind } from '../../ops/referrers/kinds.js';
import type { ReferrerTreeEntry } from '../../ops/referrers/tree.js';

export function registerInspect(program: Command, ctx: CliContext): void {
  const cmd = program.command('inspect').description('show what a reference points at').argument('<reference>', 'host/repo[:tag][@digest] or oci:DIR[:tag]')
    .option('--referrers', 'show the whole referrer tree: signatures, SBOMs, attestations, regtopo records, cosign tags, referrers of referrers and of each platform')
    .addHelpText('after', `
Examples:
  regtopo inspect prod.example.com/app:1.4.2
  regtopo inspect prod.example.com/app:1.4.2 --referrers
  regtopo inspect oci:./backup:1.4.2 --referrers --output json`);
  addClientFlags(cmd).action(async (reference: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { inspect } = await import('../../ops/inspect.js');
      return withClient(opts, async (client) => {
        const r = await inspect(reference, { client, signal: ctx.signal, referrerTree: opts.referrers === true });
        const { kindLabel } = await import('../../ops/referrers/kinds.js');
        return { data: r, text: describe(r, kindLabel) };
      }, { source: reference });
    });
  });
}

function describe(r: InspectResult, kindLabel: (k: ReferrerKind) => string): string[] {
  const lines = [`reference  ${r.reference}`, `digest     ${r.digest}`, `mediaType  ${r.mediaType}`, `size       ${r.size} bytes`];
  if (r.artifactType) lines.push(`artifact   ${r.artifactType}`);
  if (r.subject) lines.push(`subject    ${r.subject.digest}`);
  for (const p of r.platforms ?? []) lines.push(`platform   ${p.platform.padEnd(16)} ${p.digest}`);
  if (r.layers) lines.push(`layers     ${r.layers.count} (${formatBytes(r.layers.bytes)})`);
  if (r.config) {
    const c = r.config;
    lines.push(`config     ${c.digest} ${[c.os, c.architecture, c.variant].filter(Boolean).join('/')}${c.created ? ` created ${c.created}` : ''}`);
    for (const [k, v] of Object.entries(c.labels)) lines.push(`label      ${k}=${v}`);
  }
  if (r.referrerTree) {
    lines.push(`referrers  ${r.referrerTree.length === 0 ? 'none' : ''}`.trimEnd());
    const walk = (list: ReferrerTreeEntry[], depth: number) => {
      for (const e of list) {
        const under = depth === 0 && e.subject !== r.digest ? ` (of ${platformOf(r, e.subject)})` : '';
        lines.push(`${'  '.repeat(depth + 1)}${kindLabel(e.kind)} ${e.digest}${e.tag ? ` tag ${e.tag}` : ''}${e.artifactType ? ` ${e.artifactType}` : ''}${under}`);
        walk(e.referrers, depth + 1);
      }
    };
    walk(r.referrerTree, 0);
    for (const w of r.referrerWarnings ?? []) lines.push(`warning    ${w}`);
  } else {
    for (const ref of r.referrers) lines.push(`referrer   ${ref.digest} ${kindLabel(ref.kind)} ${ref.artifactType ?? ref.mediaType}`);
  }
  return lines;
}

function platformOf(r: InspectResult, digest: string): string {
  return r.platforms?.find((p) => p.digest === digest)?.platform ?? digest;
}
