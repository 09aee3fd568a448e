/**
 * Which record of a status is current, decided so that neither a wrong clock nor a race can bend it.
 *
 * Order of writes, not clocks: every status record lists the records of the same name that were
 * current when it was written (`supersedes`, read from the registry just before the write). A
 * record superseded by another is history, whatever dates either carries: a `scan=dirty` written
 * after a `scan=clean` replaces it even when the clean one's writer had a clock an hour fast.
 * Registries keep no write order we could ask for (Distribution lists tags sorted by name and sends
 * no Last-Modified for manifests), so the order each writer saw is the one we can trust.
 *
 * Clocks only break ties between records that did not see each other (written concurrently):
 *  - two such heads that disagree and are dated within the skew window of each other are
 *    contradictory evidence, and a gate on them fails closed;
 *  - beyond the window the newer one counts;
 *  - a record dated further in the future than the window is ignored with a warning.
 */
import type { StatusEntry } from './statuses.js';

export interface EvidenceOptions {
  /** The reader's clock (ms). */
  now: number;
  skewMs: number;
}

export interface CurrentStatus {
  name: string;
  /** The current record; absent when there is none, or the evidence contradicts itself. */
  entry?: StatusEntry;
  /** Disagreeing records dated within the skew window of each other. */
  contradiction?: StatusEntry[];
  /** Records ignored because they are dated in the future beyond the skew window. */
  future: StatusEntry[];
}

export function entryTime(e: Pick<StatusEntry, 'at'> & { time?: number }): number {
  const t = Date.parse(e.at);
  return Number.isNaN(t) ? (e.time ?? 0) : t;
}

/** The current value of one status from its records (any order). */
export function currentOf(name: string, entries: readonly StatusEntry[], options: EvidenceOptions): CurrentStatus {
  const mine = entries.filter((e) => e.name === name);
  const future = mine.filter((e) => entryTime(e) > options.now + options.skewMs);
  const usable = mine.filter((e) => !future.includes(e));
  const superseded = new Set(usable.flatMap((e) => e.supersedes ?? []));
  const heads = usable.filter((e) => !superseded.has(e.record)).sort((a, b) => entryTime(a) - entryTime(b) || a.record.localeCompare(b.record));
  const newest = heads.at(-1);
  if (!newest) return { name, future };
  const rivals = heads.filter((h) => h.value !== newest.value && Math.abs(entryTime(newest) - entryTime(h)) <= options.skewMs);
  if (rivals.length > 0) return { name, contradiction: [...rivals, newest], future };
  return { name, entry: newest, future };
}

/** Current value per name, sorted by name (names whose evidence contradicts itself are left out). */
export function currentStatuses(entries: readonly StatusEntry[], options: EvidenceOptions): { current: StatusEntry[]; contradictions: CurrentStatus[]; warnings: string[] } {
  const names = [...new Set(entries.map((e) => e.name))].sort();
  const resolved = names.map((n) => currentOf(n, entries, options));
  return {
    current: resolved.flatMap((r) => (r.entry ? [r.entry] : [])),
    contradictions: resolved.filter((r) => r.contradiction),
    warnings: resolved.flatMap((r) => r.future.map((e) => futureWarning(e, options))),
  };
}

export function futureWarning(e: StatusEntry, options: EvidenceOptions): string {
  return `ignored status ${e.name}=${e.value} (record ${e.record.slice(0, 19)}…): dated ${e.at}, ${Math.round((entryTime(e) - options.now) / 60_000)} min in the future, beyond the ${Math.round(options.skewMs / 1000)} s clock skew allowed`;
}

export function describeContradiction(c: CurrentStatus, skewMs: number): string {
  const parts = (c.contradiction ?? []).map((e) => `${e.value} (${e.at}${e.signedBy?.length ? `, signed by ${e.signedBy.join('/')}` : `, by ${e.by}`})`);
  return `${c.name} contradictory: ${parts.join(' vs ')} written within ${Math.round(skewMs / 1000)} s of each other without one replacing the other; failing closed`;
}
