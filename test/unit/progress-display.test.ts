import { describe, expect, it } from 'vitest';
import { applyEvent, formatDuration, formatProgressLine, formatTransfer, type ProgressState } from '../../src/cli/progress-display.js';

const MiB = 1024 * 1024;

describe('the copy progress line', () => {
  it('says it is reading manifests until the plan arrives', () => {
    expect(formatProgressLine({ blobsDone: 0, bytesDone: 0, bytesMoved: 0 }, 500)).toBe('reading manifests…');
  });

  it('shows blobs and bytes done of the planned total, percent, rate and ETA', () => {
    const state: ProgressState = { blobsDone: 0, bytesDone: 0, bytesMoved: 0 };
    applyEvent(state, { type: 'plan', blobs: 12, bytes: 200 * MiB });
    // A present blob counts as done, but not towards the rate: nothing moved for it.
    applyEvent(state, { type: 'blob', digest: 'sha256:x', size: 50 * MiB, how: 'existing' });
    applyEvent(state, { type: 'bytes', n: 50 * MiB });
    applyEvent(state, { type: 'blob', digest: 'sha256:y', size: 50 * MiB, how: 'copied' });
    // 50 MiB moved in 2 s: 25 MiB/s; 100 MiB to go: 4 s.
    expect(formatProgressLine(state, 2000)).toBe('blobs 2/12  100.0 MiB/200.0 MiB  50%  25.0 MiB/s  ETA 4 s');
  });

  it('never shows more than the whole when a retried blob streams bytes twice', () => {
    const state: ProgressState = { total: { blobs: 1, bytes: 1000 }, blobsDone: 1, bytesDone: 1500, bytesMoved: 1500 };
    expect(formatProgressLine(state, 1000)).toBe('blobs 1/1  1000 B/1000 B  100%  1.5 KiB/s  ETA 0 s');
  });

  it('an empty plan is complete at once', () => {
    expect(formatProgressLine({ total: { blobs: 0, bytes: 0 }, blobsDone: 0, bytesDone: 0, bytesMoved: 0 }, 10)).toBe('blobs 0/0  0 B/0 B  100%');
  });
});

describe('the copy summary', () => {
  it('gives bytes, seconds and the rate', () => {
    expect(formatTransfer(Math.round(190.8 * MiB), 8700)).toBe('190.8 MiB in 8.7 s, 21.9 MiB/s');
    expect(formatTransfer(0, 120)).toBe('0 B in 0.1 s');
  });
  it('formats durations for an ETA', () => {
    expect([999, 59_000, 61_000, 3_725_000].map(formatDuration)).toEqual(['1 s', '59 s', '1 min 1 s', '1 h 2 min']);
  });
});
