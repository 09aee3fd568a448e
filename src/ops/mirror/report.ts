/**
 * What a mirror run reports: one entry per (rule, tag) with the action taken, the digests involved,
 * bytes moved and time spent; the run's outcome; and, when it stopped early, what is left. The JSON
 * form (`--output json`) is this object as is.
 */
import type { ErrorCode } from '../../errors.js';
import type { RateLimitState } from './rate-limit.js';

export type MirrorAction =
  | 'skipped' // the Archive already holds the upstream digest
  | 'copied' // new in the Archive
  | 'updated' // upstream moved the tag: old digest kept under `historyTag`, tag moved
  | 'pinned' // the tag is held at the rule's pinned digest (copied if it was not yet)
  | 'kept-deleted-upstream' // upstream no longer has the tag; the Archive keeps its copy
  | 'kept-unselected' // upstream still has it but the rule no longer selects it (fell out of `newest`); kept
  | 'frozen' // upstream moved the tag but the rule is frozen: the Archive keeps its digest
  | 'failed';

export interface MirrorTagReport {
  rule: string;
  tag: string;
  action: MirrorAction;
  /** What the dry run would do; nothing was written. */
  dryRun?: boolean;
  upstream: string;
  archive: string;
  /** The upstream digest the tag points at (or the pin). */
  upstreamDigest?: string;
  /** The Archive's digest for the tag after the run (differs from upstream for platform subsets). */
  archiveDigest?: string;
  /** The Archive's digest before the run, when it changed or was kept against upstream. */
  previousDigest?: string;
  historyTag?: string;
  bytes: number;
  ms: number;
  /**
   * Referrers carried with a copied tag (issue 14). Only when the tag changed: an unchanged tag
   * costs no upstream manifest GET, so referrers added upstream later travel with its next change.
   */
  referrers?: { copied: number; present: number; warnings: string[] };
  error?: { code: ErrorCode; message: string };
}

export type MirrorOutcome = 'ok' | 'partial' | 'rate-reserve' | 'rate-limited';

export interface MirrorReport {
  outcome: MirrorOutcome;
  dryRun: boolean;
  shard?: string;
  reserve: number;
  tags: MirrorTagReport[];
  /** Failed rules as a whole (upstream tag list unavailable, bad target...). */
  ruleErrors: Array<{ rule: string; code: ErrorCode; message: string }>;
  /** Tag-list entries that are not valid tags: skipped, never requested. Absent when there were none. */
  invalidTags?: Array<{ rule: string; source: 'upstream' | 'archive'; entry: string }>;
  summary: Record<MirrorAction, number> & { tags: number; bytes: number; durationMs: number };
  /** Present when the run stopped before finishing: why, and the work not done. */
  stopped?: { reason: 'rate-reserve' | 'rate-limited'; message: string; remaining: Array<{ rule: string; tags?: string[] }> };
  rateLimits: RateLimitState[];
}

export const ACTIONS: MirrorAction[] = ['skipped', 'copied', 'updated', 'pinned', 'kept-deleted-upstream', 'kept-unselected', 'frozen', 'failed'];

export function summarise(tags: MirrorTagReport[], durationMs: number): MirrorReport['summary'] {
  const counts = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<MirrorAction, number>;
  let bytes = 0;
  for (const t of tags) {
    counts[t.action]++;
    bytes += t.bytes;
  }
  return { ...counts, tags: tags.length, bytes, durationMs };
}

/** How a dry run says what it decided: nothing happened, so no past tense (JSON keeps `action`). */
const WOULD: Partial<Record<MirrorAction, string>> = { copied: 'would copy', updated: 'would update', pinned: 'would pin' };

function actionWord(action: MirrorAction, dryRun: boolean | undefined): string {
  return (dryRun && WOULD[action]) || action;
}

/** One line per tag and a summary line, for text output. */
export function formatReport(report: MirrorReport): string[] {
  const lines: string[] = [];
  for (const t of report.tags) {
    const word = actionWord(t.action, t.dryRun);
    const what = t.action === 'updated' ? `${word} (old ${short(t.previousDigest)} ${t.dryRun ? 'would be kept' : 'kept'} as ${t.historyTag})` : word;
    const digest = t.archiveDigest ?? t.upstreamDigest;
    const referrers = t.referrers && (t.referrers.copied || t.referrers.present) ? `, referrers: ${t.referrers.copied} copied, ${t.referrers.present} already there` : '';
    const extra = `${referrers}${t.error ? ` - ${t.error.message}` : ''}`;
    lines.push(`${t.dryRun ? '[dry-run] ' : ''}${t.rule} ${t.tag}: ${what}${digest ? ` ${short(digest)}` : ''}${t.bytes ? ` ${t.bytes} B` : ''} ${t.ms} ms${extra}`);
  }
  for (const r of report.ruleErrors) lines.push(`${r.rule}: rule failed - ${r.message}`);
  for (const t of report.invalidTags ?? []) lines.push(`${t.rule}: skipped ${t.source} tag-list entry that is not a valid tag: ${JSON.stringify(t.entry.slice(0, 300))}`);
  const s = report.summary;
  const counts = ACTIONS.filter((a) => s[a] > 0).map((a) => `${s[a]} ${actionWord(a, report.dryRun)}`);
  lines.push(`mirror ${report.outcome}: ${s.tags} tag${s.tags === 1 ? '' : 's'}${counts.length ? ` (${counts.join(', ')})` : ''}, ${s.bytes} bytes, ${s.durationMs} ms${report.dryRun ? ' [dry run]' : ''}`);
  if (report.stopped) {
    const left = report.stopped.remaining.map((r) => (r.tags ? `${r.rule}: ${r.tags.join(', ')}` : `${r.rule}: (not started)`));
    lines.push(`stopped (${report.stopped.reason}): ${report.stopped.message}; left: ${left.join('; ') || 'nothing'}`);
  }
  return lines;
}

/**
 * A run that failed only for network reasons (upstream or archive unreachable, TLS, dropped
 * connections): the caller should retry later, which exit 7 says; any other failure is exit 1.
 */
export function onlyNetworkFailures(report: MirrorReport): boolean {
  const codes = [...report.tags.filter((t) => t.action === 'failed').map((t) => t.error?.code), ...report.ruleErrors.map((r) => r.code)];
  return codes.length > 0 && codes.every((c) => c === 'E_NETWORK' || c === 'E_TLS');
}

function short(digest: string | undefined): string {
  return digest ? digest.slice(0, 19) : '?';
}
