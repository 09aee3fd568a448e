/**
 * Keeps the CLI's memory flat while it streams: every socket read allocates a fresh buffer, and V8
 * frees those only when the small objects that own them are collected, which by default lets tens
 * of MiB of dead buffers pile up during a large copy (measured: 32 MiB of array buffers, 126 MiB RSS
 * on a 512 MiB layer). A minor GC every few MiB keeps that near 10 MiB for about 1 ms each.
 * CLI only: a library caller's process owns its own GC policy.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const EVERY_BYTES = 8 << 20;

type Gc = (options: { type: 'minor' | 'major'; execution: 'sync' | 'async' }) => void;

let gc: Gc | null | undefined;

function loadGc(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as Gc;
    } finally {
      // Put back at once: V8 stamps code caches with a hash of the flags that differ from their
      // defaults, and the one bin/code-cache.js writes when this command ends would otherwise be
      // refused at every later start (each streaming copy then compiled the whole CLI again).
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Returns a byte counter that triggers a minor collection every EVERY_BYTES. The collector is fetched
 * on the first trigger, since that costs a fresh V8 context (a few ms) that retags and no-op copies,
 * which stream nothing, should not pay.
 */
export function gcNudge(): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < EVERY_BYTES) return;
    since = 0;
    loadGc()?.({ type: 'minor', execution: 'async' });
  };
}
