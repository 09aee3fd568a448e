/**
 * Which upstream tags a mirror rule selects. Explicit `tags` and pinned tags are always selected;
 * patterns (`include`, `semver`, `newest`) select from the upstream tag list, and `exclude` removes
 * from that list. A rule with no tags, pins or patterns mirrors every upstream tag.
 *
 * Versions are strict semver as the `semver` package parses them (a leading `v` is accepted): `1.27`
 * or `3.19` are not versions, and `semver.coerce` is deliberately not used, since it would make
 * `1.27` and `1.27.0` (or `latest-1`) compete for the same slot. Tags that are not versions are
 * ignored by `semver` and `newest`. A range matches prereleases only as the semver package decides
 * (`>=1.0.0-0` opts in); `newest` without a range ranks release versions only, so `1.27.4-alpine`
 * never displaces `1.27.4`.
 */
import semver from 'semver';
import type { MirrorRuleSpec } from '../../topology/model.js';
import { isHistoryTag } from './history-tag.js';

type SelectableRule = Pick<MirrorRuleSpec, 'tags' | 'include' | 'exclude' | 'semver' | 'newest' | 'pins'>;

/** True when the rule needs the upstream's tag list (patterns), false when its tags are all named. */
export function needsTagList(rule: SelectableRule): boolean {
  if (rule.include.length > 0 || rule.semver !== undefined || rule.newest !== undefined) return true;
  return rule.tags.length === 0 && Object.keys(rule.pins).length === 0;
}

/** The tags a pattern rule takes from `listed` (explicit tags and pins are not added here). */
export function selectFromList(rule: SelectableRule, listed: readonly string[]): string[] {
  const tags = filterListed(rule, listed);
  if (rule.newest === undefined) return tags;
  // Ties (v1.2.3 and 1.2.3) fall back to the tag text so the choice never depends on list order.
  tags.sort((a, b) => semver.rcompare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
  return tags.slice(0, rule.newest);
}

/** Every filter of a pattern rule except the newest-N cut: what the rule would take with no limit. */
function filterListed(rule: SelectableRule, listed: readonly string[]): string[] {
  const include = rule.include.map((r) => new RegExp(r));
  const exclude = rule.exclude.map((r) => new RegExp(r));
  let tags = listed.filter((t) => !isHistoryTag(t));
  if (include.length > 0) tags = tags.filter((t) => include.some((r) => r.test(t)));
  if (rule.semver !== undefined) {
    const range = rule.semver;
    tags = tags.filter((t) => semver.valid(t) !== null && semver.satisfies(t, range));
  }
  tags = tags.filter((t) => !exclude.some((r) => r.test(t)));
  if (rule.newest !== undefined) {
    tags = tags.filter((t) => semver.valid(t) !== null && (rule.semver !== undefined || semver.prerelease(t) === null));
  }
  return tags;
}

/** Every tag the rule mirrors: explicit tags, then pins, then pattern matches; each once. */
export function selectTags(rule: SelectableRule, listed?: readonly string[]): string[] {
  const out = new Set<string>(rule.tags);
  for (const t of Object.keys(rule.pins)) out.add(t);
  if (listed && needsTagList(rule)) for (const t of selectFromList(rule, listed)) out.add(t);
  return [...out];
}

/**
 * Whether an archive tag is one this rule owns: named by it, or matched by its patterns with no
 * newest-N limit (a tag that fell out of `newest` is still the rule's, and the Archive keeps it).
 * Used to report tags upstream deleted and tags the rule no longer selects.
 */
export function matchesRulePatterns(rule: SelectableRule, tag: string): boolean {
  if (rule.tags.includes(tag) || tag in rule.pins) return true;
  if (!needsTagList(rule)) return false;
  return filterListed(rule, [tag]).length === 1;
}
