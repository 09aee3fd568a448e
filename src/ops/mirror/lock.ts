/**
 * Cron-safe mirror runs: `mirror --lock FILE` holds the project's file lock (src/lock/file-lock.ts)
 * for the whole run. A second run fails at once with E_LOCKED naming the holder; a lock whose
 * heartbeat stopped (a killed run, a pod that is gone, a container restarted with the same PID) is
 * taken over once it is stale, whatever host or PID wrote it.
 */
import { acquireFileLockSync, DEFAULT_STALE_MS, type FileLock } from '../../lock/file-lock.js';

export interface LockOptions {
  /** Milliseconds without a heartbeat after which the lock is taken over. Default 30 s. */
  staleMs?: number;
}

/** What the lock file says about its holder: shown in messages, never used to decide staleness. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface HeldLock {
  file: string;
  release(): void;
}

export const DEFAULT_LOCK_STALE_MS = DEFAULT_STALE_MS;

/** Synchronous: mirror() takes the lock before anything else and releases it in its `finally`. */
export function acquireLock(file: string, options: LockOptions = {}): HeldLock {
  const lock: FileLock = acquireFileLockSync(file, { staleMs: options.staleMs });
  return { file, release: () => lock.releaseSync() };
}
