/**
 * Copy progress on stderr: a single self-rewriting line when stderr is a terminal, one line per blob
 * and manifest with -v, and nothing otherwise (so CI logs and pipes stay clean).
 */
import type { CopyEvent, CopyProgress } from '../ops/copy-progress.js';
import { gcNudge } from './gc-nudge.js';

export function progressDisplay(verbose: boolean): { onEvent: CopyProgress; done(): void } {
  const tty = process.stderr.isTTY === true;
  const nudge = gcNudge();
  if (!tty && !verbose) return { onEvent: (e) => { if (e.type === 'bytes') nudge(e.n); }, done: () => undefined };
  let blobs = 0;
  let bytes = 0;
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    process.stderr.write(`\r\x1b[2Kblobs ${blobs}  ${formatBytes(bytes)}`);
  };
  const onEvent = (e: CopyEvent) => {
    if (e.type === 'bytes') {
      bytes += e.n;
      nudge(e.n);
    }
    if (e.type === 'blob') blobs++;
    if (verbose && e.type === 'blob') process.stderr.write(`${tty ? '\r\x1b[2K' : ''}blob ${e.digest} ${formatBytes(e.size)} ${e.how}\n`);
    if (verbose && e.type === 'manifest') process.stderr.write(`${tty ? '\r\x1b[2K' : ''}manifest ${e.digest} → ${e.reference} ${e.how}\n`);
    if (tty) draw();
  };
  return {
    onEvent,
    done: () => {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** Erases a progress line a display may have left on a terminal (before an interrupted exit). */
export function clearProgressLine(): void {
  if (process.stderr.isTTY === true) process.stderr.write('\r\x1b[2K');
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
