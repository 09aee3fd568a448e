/**
 * Copy progress on stderr: a single self-rewriting line when stderr is a terminal (blobs and bytes
 * done of the planned total, percent, rate, ETA), one line per blob and manifest with -v, and nothing
 * otherwise (so CI logs and pipes stay clean).
 */
import type { CopyEvent, CopyProgress } from '../ops/copy-progress.js';
import type { ImageProgress } from '../ops/image-progress.js';
import { formatLogLine } from './cli-logger.js';
import { cliSettings } from './cli-settings.js';
import { gcNudge } from './gc-nudge.js';

/** What the line shows; `total` is unknown until the copy has read its manifest tree. */
export interface ProgressState {
  total?: { blobs: number; bytes: number };
  blobsDone: number;
  /** Bytes accounted for: streamed, plus the sizes of blobs found present or mounted. */
  bytesDone: number;
  /** Bytes actually streamed: the rate is made of these alone. */
  bytesMoved: number;
}

export interface ProgressDisplay {
  onEvent: CopyProgress;
  /** Erases the line; the display can be reused for the next image afterwards. */
  done(): void;
  /** Starts a new image: the line restarts its counts and is prefixed with `label`. */
  image(label: string): void;
  /**
   * For copies of several images side by side (mirror, replicate, backup, restore, promote): each
   * image keeps its own counts, and the line shows the image that moved last, prefixed with how
   * many are in flight when more than one is.
   */
  imageEvent: ImageProgress;
}

/**
 * The display for one command run. `-q` turns it off; `-v` adds a log line per blob and manifest
 * (JSON lines with `--log-format json`). Multi-image commands call `image()` before each image.
 */
export function progressDisplay(verboseFlag: boolean): ProgressDisplay {
  const quiet = cliSettings().quiet;
  const verbose = verboseFlag && !quiet;
  const tty = process.stderr.isTTY === true && !quiet;
  const nudge = gcNudge();
  if (!tty && !verbose) {
    return { onEvent: (e) => { if (e.type === 'bytes') nudge(e.n); }, done: () => undefined, image: () => undefined, imageEvent: (_i, e) => { if (e.type === 'bytes') nudge(e.n); } };
  }
  let started = Date.now();
  let state: ProgressState = { blobsDone: 0, bytesDone: 0, bytesMoved: 0 };
  let prefix = '';
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    process.stderr.write(`\r\x1b[2K${fitLine(`${prefix}${formatProgressLine(state, now - started)}`)}`);
  };
  const log = (message: string, fields: Record<string, string | number>) => process.stderr.write(`${tty ? '\r\x1b[2K' : ''}${formatLogLine('debug', message, fields)}\n`);
  const onEvent = (e: CopyEvent) => {
    applyEvent(state, e);
    if (e.type === 'bytes') nudge(e.n);
    if (verbose && e.type === 'blob') log(`${prefix}blob ${e.digest} ${formatBytes(e.size)} ${e.how}`, { event: 'blob', digest: e.digest, size: e.size, how: e.how });
    if (verbose && e.type === 'manifest') log(`${prefix}manifest ${e.digest} → ${e.reference} ${e.how}`, { event: 'manifest', digest: e.digest, reference: e.reference, how: e.how });
    if (tty) draw(e.type === 'plan');
  };
  // Side-by-side images: one state each; an image is in flight until its blobs are all done and a
  // manifest is written (manifests follow the blobs).
  const images = new Map<string, { state: ProgressState; started: number; finished: boolean }>();
  const imageEvent = (image: string, e: CopyEvent) => {
    let entry = images.get(image);
    if (!entry) images.set(image, (entry = { state: { blobsDone: 0, bytesDone: 0, bytesMoved: 0 }, started: Date.now(), finished: false }));
    applyEvent(entry.state, e);
    if (e.type === 'bytes') nudge(e.n);
    if (e.type === 'manifest' && entry.state.total && entry.state.blobsDone >= entry.state.total.blobs) entry.finished = true;
    if (verbose && e.type === 'blob') log(`${image}  blob ${e.digest} ${formatBytes(e.size)} ${e.how}`, { event: 'blob', image, digest: e.digest, size: e.size, how: e.how });
    if (verbose && e.type === 'manifest') log(`${image}  manifest ${e.digest} → ${e.reference} ${e.how}`, { event: 'manifest', image, digest: e.digest, reference: e.reference, how: e.how });
    if (!tty) return;
    const now = Date.now();
    if (e.type !== 'plan' && now - lastDraw < 100) return;
    lastDraw = now;
    const inFlight = [...images.values()].filter((i) => !i.finished).length;
    const shown = entry.finished ? [...images.entries()].reverse().find(([, i]) => !i.finished) : [image, entry] as const;
    if (!shown) {
      process.stderr.write('\r\x1b[2K');
      return;
    }
    const [label, current] = shown;
    const count = inFlight > 1 ? `[${inFlight} images] ` : '';
    const numbers = formatProgressLine(current.state, now - current.started);
    process.stderr.write(`\r\x1b[2K${fitLine(`${count}${shortLabel(label, count.length + numbers.length + 2)}  ${numbers}`)}`);
  };
  return {
    onEvent,
    imageEvent,
    done: () => {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
    image: (label: string) => {
      started = Date.now();
      state = { blobsDone: 0, bytesDone: 0, bytesMoved: 0 };
      prefix = `${label}  `;
      if (tty) draw(true);
    },
  };
}

/** An image name cut from the left (the repository and tag are its end) so the numbers fit. */
function shortLabel(label: string, others: number): string {
  const width = process.stderr.columns;
  const room = width ? width - 1 - others : Infinity;
  return label.length <= room || room < 12 ? label : `…${label.slice(label.length - room + 1)}`;
}

/** A line wider than the terminal would wrap, and `\r` would then rewrite only its last row. */
function fitLine(line: string): string {
  const width = process.stderr.columns;
  return !width || line.length < width ? line : `…${line.slice(line.length - width + 2)}`;
}

/** Erases a progress line a display may have left on a terminal (before an interrupted exit). */
export function clearProgressLine(): void {
  if (process.stderr.isTTY === true) process.stderr.write('\r\x1b[2K');
}

export function applyEvent(state: ProgressState, e: CopyEvent): void {
  if (e.type === 'plan') state.total = { blobs: e.blobs, bytes: e.bytes };
  if (e.type === 'bytes') {
    state.bytesDone += e.n;
    state.bytesMoved += e.n;
  }
  if (e.type === 'blob') {
    state.blobsDone++;
    if (e.how !== 'copied') state.bytesDone += e.size;
  }
}

/** `blobs 3/12  45.2 MiB/190.8 MiB  23%  21.9 MiB/s  ETA 7 s` (only what is known so far). */
export function formatProgressLine(state: ProgressState, elapsedMs: number): string {
  const total = state.total;
  if (!total) return 'reading manifests…';
  // A retried blob streams some bytes twice: never show more than the whole.
  const done = Math.min(state.bytesDone, total.bytes);
  const parts = [`blobs ${state.blobsDone}/${total.blobs}`, `${formatBytes(done)}/${formatBytes(total.bytes)}`];
  parts.push(`${total.bytes === 0 ? 100 : Math.floor((done / total.bytes) * 100)}%`);
  const rate = elapsedMs > 0 ? state.bytesMoved / (elapsedMs / 1000) : 0;
  if (rate > 0) {
    parts.push(`${formatBytes(rate)}/s`);
    parts.push(`ETA ${formatDuration(((total.bytes - done) / rate) * 1000)}`);
  }
  return parts.join('  ');
}

/** The final summary's transfer: `190.8 MiB in 8.7 s, 21.9 MiB/s`. */
export function formatTransfer(bytes: number, durationMs: number): string {
  const text = `${formatBytes(bytes)} in ${(durationMs / 1000).toFixed(1)} s`;
  return bytes > 0 && durationMs > 0 ? `${text}, ${formatBytes(bytes / (durationMs / 1000))}/s` : text;
}

export function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
