/** `regtopo inspect REF`: digest, media type, platforms, config summary, referrers. */
import type { Command } from 'commander';
import { addClientFlags, withClient } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../progress-display.js';
import type { InspectResult } from '../../ops/inspect.js';

export function registerInspect(program: Command, ctx: CliContext): void {
  const cmd = program.command('inspect').description('show what a reference points at').argument('<reference>', 'host/repo[:tag][@digest] or oci:DIR[:tag]');
  addClientFlags(cmd).action(async (reference: string, _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { inspect } = await import('../../ops/inspect.js');
      return withClient(opts, async (client) => {
        const r = await inspect(reference, { client, signal: ctx.signal });
        return { data: r, text: describe(r) };
      }, { source: reference });
    });
  });
}

function describe(r: InspectResult): string[] {
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
  for (const ref of r.referrers) lines.push(`referrer   ${ref.digest} ${ref.artifactType ?? ref.mediaType}`);
  return lines;
}
