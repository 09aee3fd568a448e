/**
 * The retention decision for one repository, pure: given each tag's digest and time and what protects
 * which digest, every tag gets `delete` or `keep` with the first reason that applies (order in
 * report.ts). Distribution deletes by digest, removing every tag on it, so the unit of deletion is a
 * digest: it goes only when every tag on it is eligible and no kept index lists it as a child.
 */
import type { RetentionSpec } from '../../topology/model.js';
import type { PruneReason, PruneTagReport } from './report.js';

export interface TagFacts {
  tag: string;
  digest: string;
  /** Milliseconds since the epoch: first regtopo record of the digest here, else the config `created`. */
  time?: number;
  timeSource?: 'record' | 'created';
}

export interface RepositoryFacts {
  tags: TagFacts[];
  /** Index digest → its child digests, for every index a tag points at (nested ones included). */
  children: ReadonlyMap<string, readonly string[]>;
  /** Tags promotion stages read or write in this registry. */
  stageTags: ReadonlySet<string>;
  /** Digests with a promotion record in this repository. */
  promoted: ReadonlySet<string>;
  /** Digests an approval is about (not only rejections), or that wait for one. */
  pendingApproval: ReadonlySet<string>;
  /** Digests a later stage's registry, prod or a replica holds. */
  inProd?: ReadonlySet<string>;
}

export interface Decision {
  tags: PruneTagReport[];
  /** Digests to delete, in tag order. */
  digests: string[];
}

export function decideRepository(facts: RepositoryFacts, policy: RetentionSpec, now: number): Decision {
  const keep = policy.keep.map((p) => new RegExp(p));
  const newest = newestTags(facts.tags, policy.keepNewest ?? 0);
  const reasons = new Map<string, PruneReason>();
  for (const t of facts.tags) reasons.set(t.tag, firstReason(t, facts, policy, keep, newest, now));

  // What stays reachable through a kept tag: its digest, and every child of it if it is an index.
  const keptDigests = new Set(facts.tags.filter((t) => reasons.get(t.tag) !== 'eligible').map((t) => t.digest));
  const keptChildren = new Set<string>();
  const walk = (digest: string, depth: number): void => {
    for (const child of facts.children.get(digest) ?? []) {
      if (keptChildren.has(child) || depth > 8) continue;
      keptChildren.add(child);
      walk(child, depth + 1);
    }
  };
  for (const d of keptDigests) walk(d, 0);

  const tags: PruneTagReport[] = [];
  const digests: string[] = [];
  for (const t of facts.tags) {
    let reason = reasons.get(t.tag)!;
    if (reason === 'eligible' && keptDigests.has(t.digest)) reason = 'shared-digest';
    else if (reason === 'eligible' && keptChildren.has(t.digest)) reason = 'index-child';
    const action = reason === 'eligible' ? 'delete' : 'keep';
    if (action === 'delete' && !digests.includes(t.digest)) digests.push(t.digest);
    tags.push({
      tag: t.tag, digest: t.digest, action, reason,
      ...(t.time !== undefined && { time: new Date(t.time).toISOString(), timeSource: t.timeSource }),
    });
  }
  return { tags, digests };
}

/** Digests still eligible before the (networked) later-stage lookup: the only ones worth a HEAD. */
export function lookupCandidates(facts: RepositoryFacts, policy: RetentionSpec, now: number): string[] {
  return decideRepository({ ...facts, inProd: new Set() }, policy, now).digests;
}

function firstReason(t: TagFacts, facts: RepositoryFacts, policy: RetentionSpec, keep: RegExp[], newest: ReadonlySet<string>, now: number): PruneReason {
  if (facts.stageTags.has(t.tag)) return 'stage-tag';
  if (keep.some((re) => re.test(t.tag))) return 'keep-pattern';
  if (newest.has(t.tag)) return 'newest';
  if (t.time === undefined) return 'no-age';
  if (policy.olderThanMs !== undefined && now - t.time < policy.olderThanMs) return 'young';
  if (facts.promoted.has(t.digest)) return 'promoted';
  if (facts.pendingApproval.has(t.digest)) return 'pending-approval';
  if (facts.inProd?.has(t.digest)) return 'in-prod';
  return 'eligible';
}

/** The `n` newest tags by time (ties by name, so reruns agree); tags without a time are not ranked. */
function newestTags(tags: TagFacts[], n: number): Set<string> {
  if (n <= 0) return new Set();
  const ranked = tags.filter((t) => t.time !== undefined).sort((a, b) => b.time! - a.time! || a.tag.localeCompare(b.tag));
  return new Set(ranked.slice(0, n).map((t) => t.tag));
}
