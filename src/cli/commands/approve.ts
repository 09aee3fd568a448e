/** `regtopo approve|reject IMAGE@DIGEST --stage S --key KEY` and `regtopo approvals [--pending]`. */
import type { Command } from 'commander';
import { addClientFlags } from '../client-flags.js';
import type { CliContext } from '../context.js';
import { withPromotionOptions } from '../promotion-context.js';
import { approvalLines } from '../promotion-text.js';
import { expandHome } from '../promotion-key.js';
import { pendingApprovalLines } from './approvals-text.js';

export function registerApprove(program: Command, ctx: CliContext): void {
  for (const decision of ['approve', 'reject'] as const) {
    addClientFlags(
      program
        .command(decision)
        .description(`${decision} promoting one digest to a stage (recorded next to the image, bound to the current plan)`)
        .argument('<image@digest>', 'promotion image name and digest, e.g. app@sha256:…')
        .requiredOption('--stage <stage>', 'stage the decision is for')
        .option('--key <file>', 'sign the decision with this SSH key (private key, or a .pub whose private half is in ssh-agent); the approver is the topology key that verifies')
        .option('--by <name>', 'only for approvers without a key in the topology (unauthenticated; default $REGTOPO_USER or the OS user)')
        .option('--comment <text>', 'reason or note stored with the decision')
        .option('--version <version>', 'value of {version} in tag templates, when the image has no version label')
        .addHelpText('after', `
Examples:
  regtopo ${decision} app@sha256:4f1c… --stage prod --key ~/.ssh/id_ed25519${decision === 'reject' ? " \\\n      --comment 'CVE-2026-1234 open'" : ''}
  # with SSH_AUTH_SOCK set and a public key, the agent signs:
  regtopo ${decision} app@sha256:4f1c… --stage prod --key ~/.ssh/id_ed25519.pub`),
    ).action(async (target: string, _o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const opts = ctx.options(self);
        const { approve, reject } = await import('../../ops/promotion/verbs.js');
        // Checked before the topology is read: a malformed IMAGE@DIGEST is a usage error at once.
        const { image, digest } = (await import('../../ops/promotion/approvals.js')).parseImageDigest(target);
        return withPromotionOptions({ ...opts, signal: ctx.signal }, async (options) => {
          const verb = decision === 'approve' ? approve : reject;
          const r = await verb(`${image}@${digest}`, opts.stage as string, {
            ...options, comment: opts.comment as string | undefined, version: opts.version as string | undefined, keyFile: expandHome(opts.key as string | undefined),
          });
          const s = r.state;
          return {
            data: r,
            text: [
              `${r.decision} ${image}@${digest} for ${r.plan.stage} by ${r.by}${r.signed ? ' (signed)' : ' (unsigned)'} (plan ${r.plan.planHash})`,
              `approval now ${s.state}${s.type === 'manual' ? ` (${s.approvedBy.length}/${s.quorum})` : ''}${s.reason ? `: ${s.reason}` : ''}`,
              ...approvalLines(s),
            ],
          };
        });
      });
    });
  }

  addClientFlags(
    program
      .command('approvals')
      .description('list approval decisions and the promotions waiting for one')
      .argument('[images...]', 'promotion image names (default: all)')
      .option('--pending', 'only what waits for an approval', false),
  ).action(async (images: string[], _o: unknown, self: Command) => {
    await ctx.run(self, async () => {
      const opts = ctx.options(self);
      const { listApprovals } = await import('../../ops/promotion/verbs.js');
      return withPromotionOptions({ ...opts, signal: ctx.signal }, async (options) => {
        const names = images.length ? images : [undefined];
        const pending = [];
        const decisions = [];
        for (const image of names) {
          const r = await listApprovals({ ...options, pendingOnly: opts.pending as boolean, image });
          pending.push(...r.pending);
          decisions.push(...r.decisions);
        }
        const text = pendingApprovalLines(pending);
        if (!opts.pending) {
          text.push(decisions.length ? 'decisions:' : 'decisions: none');
          text.push(...decisions.map((d) => `  ${d.at} ${d.decision.padEnd(8)} ${d.image}@${d.digest.slice(0, 19)} → ${d.stage} by ${d.by}${d.signed && d.counted ? ' (signed)' : ''}${d.counted ? '' : ` [not counted: ${d.notCounted}]`}${d.comment ? `: ${d.comment}` : ''}`));
        }
        return { data: opts.pending ? { pending } : { pending, decisions }, text };
      });
    });
  });
}

