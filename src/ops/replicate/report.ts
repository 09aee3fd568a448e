/**
 * What a replication run reports: per replica, one entry per (repository, tag) with the action
 * taken, and a summary. The JSON form (`--output json`) is this object as is.
 */
import type { ErrorCode } from '../../errors.js';

export type ReplicaAction =
  | 'in-sync' // the replica's tag already names prod's digest: one HEAD on each side, nothing else
  | 'copied' // the tag was new in the replica
  | 'updated' // the replica's tag pointed elsewhere; moved to prod's digest
  | 'extra' // the tag exists only in the replica; kept unless --prune (then `pruned`)
  | 'failed';

export const REPLICA_ACTIONS: readonly ReplicaAction[] = ['in-sync', 'copied', 'updated', 'extra', 'failed'];

export interface ReplicaTagReport {
  /** Repository inside the replica ('' tag: the whole repository failed before its tags were known). */
  repository: string;
  tag: string;
  /** Prod's digest for the tag (for `extra`, the replica's). */
  digest: string;
  action: ReplicaAction;
  /** The replica's digest before an update. */
  previous?: string;
  /** `extra` with --prune: deleted from the replica. */
  pruned?: boolean;
  error?: { code: ErrorCode; message: string };
}

export interface ReplicaReport {
  name: string;
  /** The replica's host[:port]. */
  registry: string;
  /** The prod registry it copies. */
  prod: string;
  tags: ReplicaTagReport[];
  /** Blobs mounted from another repository of the replica instead of read from prod. */
  mounted: number;
  /**
   * Referrers carried by digest (prod with the referrers API; without it they are fallback and
   * cosign tags, counted with the tags).
   */
  referrers: { copied: number; present: number; warnings: string[] };
}

export interface ReplicateSummary extends Record<ReplicaAction, number> {
  replicas: number;
  repositories: number;
  pruned: number;
}

export interface ReplicateReport {
  /** Every replica converged (extras kept do not count against it). */
  ok: boolean;
  dryRun: boolean;
  replicas: ReplicaReport[];
  summary: ReplicateSummary;
}

export function summarise(replicas: ReplicaReport[], repositories: number): ReplicateSummary {
  const summary: ReplicateSummary = { replicas: replicas.length, repositories, pruned: 0, 'in-sync': 0, copied: 0, updated: 0, extra: 0, failed: 0 };
  for (const r of replicas) {
    for (const t of r.tags) {
      summary[t.action]++;
      if (t.pruned) summary.pruned++;
    }
  }
  return summary;
}

/** One line per replica, then one per tag that was not already in sync. */
export function formatReplicateReport(report: ReplicateReport): string[] {
  const lines: string[] = [];
  const verb = report.dryRun ? 'would be ' : '';
  for (const r of report.replicas) {
    const count = (a: ReplicaAction) => r.tags.filter((t) => t.action === a).length;
    lines.push(`${r.name} (${r.registry}, replica of ${r.prod}): ${count('copied')} ${verb}copied, ${count('updated')} ${verb}updated, ${count('in-sync')} in sync, ${count('extra')} extra, ${count('failed')} failed${r.mounted ? `; ${r.mounted} blobs mounted` : ''}${r.referrers?.copied || r.referrers?.present ? `; referrers: ${r.referrers.copied} copied, ${r.referrers.present} already there` : ''}`);
    for (const w of r.referrers?.warnings ?? []) lines.push(`  warning  ${w}`);
    for (const t of r.tags) {
      if (t.action === 'in-sync') continue;
      const where = t.tag ? `${t.repository}:${t.tag}` : t.repository;
      const detail = t.error ? ` [${t.error.code}] ${t.error.message}` : t.previous ? ` (was ${t.previous})` : t.pruned ? ' (pruned)' : '';
      lines.push(`  ${t.action.padEnd(8)} ${where} ${t.digest}${detail}`);
    }
  }
  if (report.replicas.length === 0) lines.push('no replicas to replicate to');
  return lines;
}
