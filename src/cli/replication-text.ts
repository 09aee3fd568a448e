/** How promote tells what the replication after it did: one line per replica, and the rerun hint. */
import type { PromotionReplication } from '../ops/replicate/after-promotion.js';

export function replicationLines(replication: PromotionReplication | undefined): string[] {
  if (!replication) return [];
  const lines: string[] = [];
  for (const r of replication.report?.replicas ?? []) {
    const n = (a: string) => r.tags.filter((t) => t.action === a).length;
    const failed = r.tags.filter((t) => t.action === 'failed');
    lines.push(`replicated to ${r.name} (${r.registry}): ${failed.length ? 'INCOMPLETE' : 'in sync'}; ${n('copied')} copied, ${n('updated')} updated, ${n('in-sync')} already there${failed.length ? `, ${failed.length} failed [${failed[0]!.error?.code}] ${failed[0]!.error?.message}` : ''}`);
  }
  if (!replication.ok) lines.push(replication.message ?? 'promoted, replication incomplete: rerun regtopo replicate');
  return lines;
}
