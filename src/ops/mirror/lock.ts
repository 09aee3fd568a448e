/**
 * Cron-safe runs: a lock file created with O_EXCL holding the owner's pid, host and start time. A
 * second run fails at once with E_LOCKED naming the holder. A lock left by a process that no longer
 * exists on this host is taken over; one from another host is never guessed about (remove it by
 * hand). The lock is released when the run ends, and on process exit as a last resort.
 */
import { hostname } from 'node:os';
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { RegtopoError } from '../../errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface HeldLock {
  file: string;
  owner: LockOwner;
  release(): void;
}

export function acquireLock(file: string): HeldLock {
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RegtopoError('E_CONFIG', `cannot create lock file ${file}: ${(err as Error).message}`);
      }
      const holder = readOwner(file);
      if (attempt === 0 && holder && isStale(holder)) {
        try {
          unlinkSync(file);
        } catch {
          // Another run took it over first; the retry's O_EXCL decides.
        }
        continue;
      }
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.startedAt}` : 'an unreadable owner';
      throw new RegtopoError('E_LOCKED', `another mirror run holds the lock ${file} (${who})`);
    }
    try {
      writeSync(fd, `${JSON.stringify(owner)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      process.off('exit', release);
      const current = readOwner(file);
      if (current && current.pid === owner.pid && current.startedAt === owner.startedAt) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
    };
    process.on('exit', release);
    return { file, owner, release };
  }
  throw new RegtopoError('E_LOCKED', `another mirror run took the stale lock ${file} first`);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof doc.pid === 'number' && typeof doc.host === 'string') return { pid: doc.pid, host: doc.host, startedAt: String(doc.startedAt ?? '?') };
  } catch {
    // Half-written or not ours.
  }
  return undefined;
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
