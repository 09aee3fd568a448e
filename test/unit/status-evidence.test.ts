/**
 * Which status record is current: the order of writes (supersedes) decides, clocks only break ties
 * between records that never saw each other, and then only outside the skew window.
 */
import { describe, expect, it } from 'vitest';
import { currentOf } from '../../src/ops/promotion/status-evidence.js';
import type { StatusEntry } from '../../src/ops/promotion/statuses.js';

const T = Date.UTC(2026, 11, 1, 12, 0);
const SKEW = 5 * 60_000;
const rec = (record: string, value: string, at: number, supersedes: string[] = []): StatusEntry => ({ name: 'scan', value, by: 'x', at: new Date(at).toISOString(), record, tag: record, supersedes });

describe('status evidence', () => {
  it('a record that supersedes another wins whatever the dates say, in any listing order', () => {
    const clean = rec('r1', 'clean', T + 3_600_000); // a clock an hour fast
    const dirty = rec('r2', 'dirty', T + 60_000, ['r1']);
    for (const order of [[clean, dirty], [dirty, clean]]) {
      expect(currentOf('scan', order, { now: T + 2 * 3_600_000, skewMs: SKEW }).entry?.record).toBe('r2');
    }
  });

  it('unrelated records: contradictory within the window, newest wins beyond it, agreeing ones are fine', () => {
    expect(currentOf('scan', [rec('a', 'dirty', T - 60_000), rec('b', 'clean', T)], { now: T, skewMs: SKEW }).contradiction?.map((e) => e.record)).toEqual(['a', 'b']);
    expect(currentOf('scan', [rec('a', 'dirty', T - 10 * 60_000), rec('b', 'clean', T)], { now: T, skewMs: SKEW }).entry?.record).toBe('b');
    expect(currentOf('scan', [rec('a', 'clean', T - 60_000), rec('b', 'clean', T)], { now: T, skewMs: SKEW }).entry?.record).toBe('b');
  });

  it('a record dated beyond the window in the future is set aside, not counted', () => {
    const r = currentOf('scan', [rec('a', 'dirty', T - 60_000, []), rec('b', 'clean', T + 10 * 60_000)], { now: T, skewMs: SKEW });
    expect(r.entry?.record).toBe('a');
    expect(r.future.map((e) => e.record)).toEqual(['b']);
  });
});
