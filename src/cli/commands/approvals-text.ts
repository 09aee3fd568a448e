/** Text for `regtopo approvals`: what waits for an approval, with the complete command that gives it. */
import type { PendingApproval } from '../../ops/promotion/approvals.js';

/**
 * `pending:` then two lines per plan: what waits and how far it got, then the command to run. A plan
 * that needs a version says so, and its command carries `--version <VERSION>` to fill in; one whose
 * image carries a version label shows the version it would use.
 */
export function pendingApprovalLines(pending: readonly PendingApproval[]): string[] {
  if (pending.length === 0) return ['pending: none'];
  const lines = ['pending:'];
  for (const p of pending) {
    const version = p.needsVersion
      ? '; needs a version (the image has no org.opencontainers.image.version label): pass --version'
      : p.version !== undefined ? `; version ${p.version} (from the image label)` : '';
    lines.push(`  ${p.image}@${p.digest} → ${p.stage}: ${p.approvedBy.length}/${p.quorum} approvals${version}`);
    lines.push(`    targets: ${p.targets.join(', ')}`);
    lines.push(`    run: ${p.approveWith}`);
  }
  return lines;
}
