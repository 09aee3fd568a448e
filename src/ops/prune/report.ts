/** What a prune run reports, per registry, repository and tag, plus the totals. */
import type { RetentionSpec } from '../../topology/model.js';

/**
 * Why a tag is kept (or `eligible` for a delete), in the order they are decided: the first that
 * applies is reported. Policy reasons come first (they need no requests), then what protects a
 * digest (records, approvals, later stages), then what protects it through another tag.
 */
export const PRUNE_REASONS = [
  'eligible', // delete: outside keepNewest, older than olderThan, no keep pattern, nothing protects it
  'stage-tag', // a promotion stage reads (tags) or writes (literal targetTags) this tag in this registry
  'keep-pattern', // matches a retention `keep` regex
  'newest', // among the keepNewest newest tags of the repository
  'no-age', // neither a regtopo record nor an image config `created` gives the image a time
  'young', // newer than olderThan
  'promoted', // the digest has a promotion record in this repository
  'pending-approval', // an approval (not only rejections) is recorded for the digest, or one waits for it
  'in-prod', // a later stage's registry, a prod or a replica holds the digest (HEAD by digest)
  'shared-digest', // another kept tag points at the same digest (deleting is by digest)
  'index-child', // the digest is a child of an index a kept tag points at
] as const;
export type PruneReason = (typeof PRUNE_REASONS)[number];

export interface PruneTagReport {
  tag: string;
  digest: string;
  action: 'delete' | 'keep';
  reason: PruneReason;
  /** The time age and newest were decided by (ISO 8601), and where it came from. */
  time?: string;
  timeSource?: 'record' | 'created';
  /** With --confirm: the delete of this tag's digest failed (error code); the tag is still there. */
  failed?: string;
}

export interface PruneRepositoryReport {
  repository: string;
  /** Why this repository was looked at: named by the topology's promotion images, found in the catalog, or both. */
  source: 'topology' | 'catalog' | 'both';
  tags: PruneTagReport[];
  /** Digests deleted (or, in a dry run, that would be), each removing every tag listed on it. */
  digests: string[];
  /** Record manifests (statuses, approvals) of those digests, deleted with them. */
  records: number;
  /** Digests whose delete failed (the run goes on with the rest). */
  failed?: { digest: string; code: string; message: string }[];
}

export interface PruneRegistryReport {
  name: string;
  role: string;
  retention: RetentionSpec;
  /** `/v2/_catalog`: whether it could be read, and names it skipped as invalid or outside this registry. */
  catalog: { read: boolean; reason?: string; repositories: number; skipped: string[] };
  repositories: PruneRepositoryReport[];
}

export interface PruneSummary {
  dryRun: boolean;
  registries: number;
  repositories: number;
  tags: number;
  /** Tags deleted (or that would be); tags whose delete failed count under `failed` digests only. */
  delete: number;
  keep: number;
  digests: number;
  records: number;
  failed: number;
  reasons: Partial<Record<PruneReason, number>>;
  /** HEADs sent to later stages, prod and replicas to look digests up. */
  lookups: number;
}

export interface PruneReport {
  registries: PruneRegistryReport[];
  summary: PruneSummary;
}

export function summarise(registries: PruneRegistryReport[], dryRun: boolean, lookups: number): PruneSummary {
  const summary: PruneSummary = { dryRun, registries: registries.length, repositories: 0, tags: 0, delete: 0, keep: 0, digests: 0, records: 0, failed: 0, reasons: {}, lookups };
  for (const registry of registries) {
    for (const repo of registry.repositories) {
      summary.repositories++;
      summary.digests += repo.digests.length;
      summary.records += repo.records;
      summary.failed += repo.failed?.length ?? 0;
      for (const t of repo.tags) {
        summary.tags++;
        if (!t.failed) summary[t.action]++;
        summary.reasons[t.reason] = (summary.reasons[t.reason] ?? 0) + 1;
      }
    }
  }
  // In decision order, so the totals read the same whatever order the tags came in.
  summary.reasons = Object.fromEntries(PRUNE_REASONS.filter((r) => summary.reasons[r]).map((r) => [r, summary.reasons[r]]));
  return summary;
}

/** The report as text: one line per tag, grouped by registry and repository, then the totals. */
export function formatPruneReport(report: PruneReport): string[] {
  const lines: string[] = [];
  const verb = report.summary.dryRun ? 'would be deleted' : 'deleted';
  for (const registry of report.registries) {
    const policy = describePolicy(registry.retention);
    const catalog = registry.catalog.read ? `catalog: ${registry.catalog.repositories} ${registry.catalog.repositories === 1 ? 'repository' : 'repositories'}` : `catalog not read (${registry.catalog.reason}): topology repositories only`;
    lines.push(`${registry.name} (${registry.role}; ${policy}; ${catalog})`);
    if (registry.catalog.skipped.length) lines.push(`  skipped catalog entries: ${registry.catalog.skipped.join(', ')}`);
    for (const repo of registry.repositories) {
      lines.push(`  ${repo.repository}: ${repo.tags.filter((t) => t.action === 'delete').length} of ${count(repo.tags.length, 'tag')}, ${count(repo.digests.length, 'digest')} ${verb}${repo.records ? `, ${count(repo.records, 'record')}` : ''}`);
      const width = Math.max(3, ...repo.tags.map((t) => t.tag.length));
      for (const t of repo.tags) {
        lines.push(`    ${(t.failed ? 'FAILED' : t.action).padEnd(6)} ${t.tag.padEnd(width)} ${t.digest.slice(0, 19)}  ${(t.time ?? '-').slice(0, 19).padEnd(19)}  ${t.reason}`);
      }
      for (const f of repo.failed ?? []) lines.push(`    FAILED ${f.digest}: [${f.code}] ${f.message}`);
    }
  }
  const s = report.summary;
  const reasons = Object.entries(s.reasons).filter(([r]) => r !== 'eligible').map(([r, n]) => `${r} ${n}`).join(', ');
  lines.push(
    `${s.dryRun ? 'dry run: ' : ''}${s.delete} of ${count(s.tags, 'tag')} (${count(s.digests, 'digest')}, ${count(s.records, 'record')}) ${verb}; ${s.keep} kept${reasons ? ` (${reasons})` : ''}` +
      `${s.failed ? `; ${count(s.failed, 'digest')} FAILED` : ''}${s.dryRun && s.delete ? '; rerun with --confirm to delete' : ''}`,
  );
  return lines;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function describePolicy(r: RetentionSpec): string {
  const parts = [
    ...(r.keepNewest !== undefined ? [`keepNewest ${r.keepNewest}`] : []),
    ...(r.olderThan !== undefined ? [`olderThan ${r.olderThan}`] : []),
    ...(r.keep.length ? [`keep ${r.keep.join(' ')}`] : []),
  ];
  return parts.join(', ') || 'no limits';
}
