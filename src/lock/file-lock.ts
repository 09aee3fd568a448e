/**
 * The project's one lock file: mutual exclusion between processes (cron runs, CI jobs) that share a
 * filesystem. The design is the one proper-lockfile and lockfile(1) use, with its known hole closed:
 *
 * - acquire = create the file with O_EXCL (atomic on every local filesystem and on NFSv3+);
 * - liveness = the file's mtime, refreshed by the holder every `heartbeatMs` through its own open
 *   descriptor (futimes), so a heartbeat can never refresh a lock that someone else now holds;
 * - staleness = mtime older than `staleMs`. Never hostname or PID: a CronJob pod has a new hostname
 *   every run and a restarted container can get the same PID, so neither says anything about life;
 *   an empty or garbage file is stale once its mtime is;
 * - takeover of a stale lock is serialised by a short-lived guard file (`<path>.takeover`, also
 *   O_EXCL). Holding the guard, the taker checks that the lock is still the same stale file, renames
 *   it to a unique name (only one rename of a file can succeed), checks the renamed file really is the
 *   stale one, and only then creates the lock afresh with O_EXCL. A plain check-then-unlink lets two
 *   takers each remove "the stale lock", the second one removing the first taker's fresh lock.
 *
 * The content (pid, host, start time) is for the humans reading an E_LOCKED message, never for deciding.
 * Release: `release()` (call it in a `finally`), a synchronous best-effort release on process 'exit',
 * and on SIGINT/SIGTERM when nothing else in the process handles those signals (then the signal is
 * re-raised, so the exit status stays the conventional 128+n). When something does handle them (the
 * CLI aborts its AbortController), the aborted operation unwinds through its `finally`.
 */
import { closeSync, fstatSync, futimesSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegtopoError } from '../errors.js';

export interface FileLockOptions {
  /** A lock whose heartbeat is older than this is taken over. Default 30 s. */
  staleMs?: number;
  /** How often the holder refreshes the mtime. Default staleMs / 3. */
  heartbeatMs?: number;
  /** Wait for the lock instead of failing at once; `true` waits until `signal` aborts. */
  wait?: boolean | { timeoutMs: number; pollMs?: number };
  signal?: AbortSignal;
}

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
  /** The same as release(), for callers that cannot await (an 'exit' handler, a sync finally). */
  releaseSync(): void;
}

/** What an E_LOCKED message says about the holder (as the holder wrote it; not trusted for anything). */
export interface LockHolderInfo {
  pid?: number;
  host?: string;
  startedAt?: string;
  /** Milliseconds since the holder's last heartbeat. */
  heartbeatAgeMs: number;
}

// 30 s: a cron run blocked longer than 10 s between heartbeats is broken anyway, and a crashed run's
// lock frees within half a minute. Heartbeat at a third so two missed beats still keep the lock.
export const DEFAULT_STALE_MS = 30_000;
const DEFAULT_POLL_MS = 250;

export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<FileLock> {
  const { wait, signal } = options;
  const deadline = wait && typeof wait === 'object' ? Date.now() + wait.timeoutMs : Infinity;
  const pollMs = wait && typeof wait === 'object' ? (wait.pollMs ?? DEFAULT_POLL_MS) : DEFAULT_POLL_MS;
  for (;;) {
    if (signal?.aborted) throw new RegtopoError('E_INTERRUPTED', `interrupted while waiting for the lock ${path}`);
    const got = tryLock(path, options);
    if ('lock' in got) return got.lock;
    if (!wait || Date.now() + pollMs > deadline) throw lockedError(path, got.holder, wait ? 'waited, still held' : undefined);
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      throw new RegtopoError('E_INTERRUPTED', `interrupted while waiting for the lock ${path}`);
    }
  }
}

/** One attempt, synchronously: for callers whose own API is synchronous. Throws E_LOCKED when held. */
export function acquireFileLockSync(path: string, options: Omit<FileLockOptions, 'wait' | 'signal'> = {}): FileLock {
  const got = tryLock(path, options);
  if ('lock' in got) return got.lock;
  throw lockedError(path, got.holder);
}

type Attempt = { lock: FileLock } | { holder: LockHolderInfo | 'takeover' };

function tryLock(path: string, options: FileLockOptions): Attempt {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(staleMs / 3));
  if (!(staleMs > 0) || !(heartbeatMs > 0) || heartbeatMs >= staleMs) {
    throw new RegtopoError('E_USAGE', `lock heartbeat (${heartbeatMs} ms) must be positive and shorter than the stale timeout (${staleMs} ms)`);
  }
  // A few rounds: the file can vanish between our EEXIST and our stat (its holder released it).
  for (let round = 0; round < 3; round++) {
    const created = createExclusive(path);
    if (created !== undefined) return { lock: holdLock(path, created, heartbeatMs) };
    const seen = statOrUndefined(path);
    if (!seen) continue;
    if (!isStale(seen, staleMs)) return { holder: holderInfo(path, seen) };
    const taken = takeOver(path, seen, staleMs);
    if (taken === 'busy') return { holder: 'takeover' };
    if (typeof taken === 'number') return { lock: holdLock(path, taken, heartbeatMs) };
    // 'retry': the lock changed under us; look again.
  }
  const seen = statOrUndefined(path);
  return { holder: seen ? holderInfo(path, seen) : 'takeover' };
}

function takeOver(path: string, seen: Stats, staleMs: number): number | 'busy' | 'retry' {
  const guard = `${path}.takeover`;
  let guardFd = createExclusive(guard);
  if (guardFd === undefined) {
    // Takeovers last milliseconds; a guard older than staleMs belongs to a taker that died mid-way.
    const guardSeen = statOrUndefined(guard);
    if (!guardSeen) return 'retry';
    if (!isStale(guardSeen, staleMs) || !moveAsideIfSame(guard, guardSeen, staleMs)) return 'busy';
    guardFd = createExclusive(guard);
    if (guardFd === undefined) return 'busy';
  }
  try {
    const now = statOrUndefined(path);
    if (now && !sameFile(now, seen)) return 'retry';
    if (now && !moveAsideIfSame(path, seen, staleMs)) return 'retry';
    return createExclusive(path) ?? 'retry';
  } finally {
    closeSync(guardFd);
    removeQuietly(guard);
  }
}

/** Rename `path` aside and delete it, but only if it still is the stale file `seen`; put it back otherwise. */
function moveAsideIfSame(path: string, seen: Stats, staleMs: number): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // someone else moved it first
  }
  const moved = statOrUndefined(aside);
  if (moved && sameFile(moved, seen) && isStale(moved, staleMs)) {
    removeQuietly(aside);
    return true;
  }
  // We moved a live file (replaced between our stat and our rename): link it back without clobbering.
  try {
    linkSync(aside, path);
  } catch {
    // A new lock exists at `path` already; the file we moved is lost to its holder, which will notice.
  }
  removeQuietly(aside);
  return false;
}

function holdLock(path: string, fd: number, heartbeatMs: number): FileLock {
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`);
  } catch {
    // The content is informational only.
  }
  const ours = fstatSync(fd);
  const beat = setInterval(() => {
    const t = Date.now() / 1000;
    try {
      futimesSync(fd, t, t);
    } catch {
      // The descriptor stays valid until release; an error here means release is under way.
    }
  }, heartbeatMs);
  beat.unref();
  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    clearInterval(beat);
    process.off('exit', releaseSync);
    for (const [sig, handler] of signalHandlers) process.off(sig, handler);
    const current = statOrUndefined(path);
    if (current && sameFile(current, ours)) removeQuietly(path);
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  };
  const signalHandlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => {
    const handler = (): void => {
      // Only when nobody else decides what this signal means: release, then let it kill us as usual.
      if (process.listeners(sig).some((l) => l !== handler && !isLockSignalHandler(l))) return;
      releaseSync();
      process.kill(process.pid, sig);
    };
    lockSignalHandlers.add(handler);
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  process.on('exit', releaseSync);
  return { path, releaseSync, release: async () => releaseSync() };
}

// Several locks held at once each install a handler; they must not count each other as "someone else".
const lockSignalHandlers = new WeakSet<(...args: never[]) => unknown>();
function isLockSignalHandler(l: (...args: never[]) => unknown): boolean {
  return lockSignalHandlers.has(l);
}

function createExclusive(path: string): number | undefined {
  try {
    return openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new RegtopoError('E_CONFIG', `cannot create lock file ${path}: ${(err as Error).message}`);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RegtopoError('E_CONFIG', `cannot read lock file ${path}: ${(err as Error).message}`);
  }
}

function isStale(st: Stats, staleMs: number): boolean {
  return Date.now() - st.mtimeMs > staleMs;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeMs === b.mtimeMs;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function holderInfo(path: string, st: Stats): LockHolderInfo {
  const info: LockHolderInfo = { heartbeatAgeMs: Math.max(0, Date.now() - st.mtimeMs) };
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8').slice(0, 4096)) as Record<string, unknown>;
    if (typeof doc.pid === 'number') info.pid = doc.pid;
    if (typeof doc.host === 'string') info.host = doc.host.slice(0, 255);
    if (typeof doc.startedAt === 'string') info.startedAt = doc.startedAt.slice(0, 64);
  } catch {
    // Empty, half-written or not ours: still held until its mtime goes stale.
  }
  return info;
}

function lockedError(path: string, holder: LockHolderInfo | 'takeover', note?: string): RegtopoError {
  const who =
    holder === 'takeover'
      ? 'another run is taking over its stale lock right now'
      : `${holder.pid !== undefined ? `pid ${holder.pid} on ${holder.host ?? '?'} since ${holder.startedAt ?? '?'}` : 'an owner that left no readable note'}, heartbeat ${Math.round(holder.heartbeatAgeMs / 1000)} s ago`;
  return new RegtopoError('E_LOCKED', `another run holds the lock ${path} (${who})${note ? `; ${note}` : ''}`);
}
