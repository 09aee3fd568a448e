/** Text rendering shared by the promotion commands. */
import type { ApprovalState } from '../ops/promotion/approval-state.js';
import { isSignatureGateResult, type GateResult } from '../ops/promotion/gates.js';
import type { PromotionPlan } from '../ops/promotion/plan.js';

export function planLines(plan: PromotionPlan): string[] {
  const lines = [
    `${plan.image} → ${plan.stage}: ${plan.action}${plan.promoted ? ' (already promoted)' : ''}`,
    `  source ${plan.source.ref}${plan.source.tag ? ` (from tag ${plan.source.tag})` : ''}`,
  ];
  for (const t of plan.targets) lines.push(`  ${t.action.padEnd(7)} ${t.ref}${t.moving ? ' (moving)' : ''}${t.current && t.current !== plan.source.digest ? ` now ${t.current}` : ''}${t.reason ? ` - ${t.reason}` : ''}`);
  for (const g of plan.gates) lines.push(`  gate ${g.satisfied ? 'ok  ' : 'FAIL'} ${g.reason}${g.evidence && !isSignatureGateResult(g) ? ` [${g.evidence.slice(0, 19)}]` : ''}`, ...signatureLines(g));
  const a = plan.approval;
  lines.push(`  approval ${a.state}${a.required ? ` (${a.type}${a.type === 'manual' ? `, ${a.approvedBy.length}/${a.quorum}` : ''})` : ''}${a.reason ? `: ${a.reason}` : ''}`);
  lines.push(...approvalLines(a));
  if (plan.date) lines.push(`  {date} ${plan.date}`);
  for (const w of plan.warnings ?? []) lines.push(`  warning: ${w}`);
  lines.push(`  plan ${plan.planHash}`);
  return lines;
}

/** A signature gate's evidence in full: which key or identity, which signature artifact, where. */
function signatureLines(g: GateResult): string[] {
  if (!isSignatureGateResult(g)) return [];
  const lines: string[] = [];
  const who = 'key' in g.signature ? `key ${g.signature.key} ${g.signature.fingerprint}` : `identity ${g.signature.identity.issuer}, subject matching ${g.signature.identity.subject}, trusted root ${g.signature.trustedRoot}`;
  lines.push(`    ${who}`);
  if (g.evidence) lines.push(`    signature ${g.evidence} (${g.source === 'sig-tag' ? 'cosign .sig tag' : 'referrer'})${g.identity ? ` by ${g.identity.subject}` : ''}`);
  for (const r of g.rejected ?? []) lines.push(`    not counted: ${r}`);
  return lines;
}

/** Who approved, who rejected, and which decisions did not count (and why). */
export function approvalLines(a: ApprovalState): string[] {
  const lines: string[] = [];
  if (a.approvedBy.length) lines.push(`    approved by ${a.approvedBy.join(', ')}`);
  if (a.rejectedBy.length) lines.push(`    rejected by ${a.rejectedBy.join(', ')}`);
  for (const i of a.ignored) lines.push(`    not counted: ${i.decision} "by ${i.by}" (${i.reason})`);
  return lines;
}
