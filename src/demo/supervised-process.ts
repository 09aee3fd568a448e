/**
 * Runs the registry binary so that it can never outlive us. The registry is started under a tiny shell
 * supervisor whose stdin is a pipe from this process: when the pipe reaches EOF (stop() closed it, or
 * this process died by any means, SIGKILL included) the supervisor stops the registry and removes the
 * temp dirs we created. Node's 'exit' hook alone is not enough: test runners kill their workers
 * without it ever firing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface SupervisedProcess {
  /** The supervisor's pid; its process group also holds the registry. */
  pid: number;
  /** Set once the supervisor (and so the registry) is gone, or could not start. */
  failure(): Error | undefined;
  /** The last few KiB the registry printed. */
  logTail(): string;
  /** Stops the registry, waits for it, removes the owned dirs. Idempotent. */
  stop(): Promise<void>;
}

// $0 is the binary, $1 the config path and the rest temp dirs to remove once the registry is gone; all
// are arguments, so nothing is interpolated into the script. The shell's own stderr goes to /dev/null:
// its "Terminated" notice into a pipe whose reader died would SIGPIPE it before the cleanup.
const SUPERVISOR_SCRIPT = `
exec 3<&0 </dev/null 4>&2 2>/dev/null
"$0" serve "$1" 2>&4 4>&- &
registry=$!
{ read -r _ <&3; kill -TERM "$registry" 2>/dev/null; } &
watcher=$!
exec 3<&-
trap 'kill -TERM "$registry" 2>/dev/null' TERM INT HUP
while :; do
  wait "$registry"; status=$?
  kill -0 "$registry" 2>/dev/null || break
done
kill "$watcher" 2>/dev/null
shift
rm -rf -- "$@"
exit "$status"
`;

const LOG_TAIL_BYTES = 8 * 1024;
const STOP_GRACE_MS = 3_000;

export function spawnSupervised(binary: string, configPath: string, ownedDirs: string[]): SupervisedProcess {
  // detached: the supervisor leads its own process group, so one signal can reach it and the registry.
  const child = spawn('/bin/sh', ['-c', SUPERVISOR_SCRIPT, binary, configPath, ...ownedDirs], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => undefined);
  const log = new LogTail();
  child.stdout?.on('data', (d: Buffer) => log.push(d));
  child.stderr?.on('data', (d: Buffer) => log.push(d));
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      failure ??= new Error(`registry process exited (${signal ?? `code ${code}`})`);
      resolve();
    });
    child.once('error', (err) => {
      failure = err;
      resolve();
    });
  });
  const removeDirs = (): void => {
    for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
  };
  track(child, removeDirs);

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    failure: () => failure,
    logTail: () => log.text(),
    stop: () =>
      (stopping ??= (async () => {
        if (!failure) {
          child.stdin?.end();
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        untrack(child);
        removeDirs();
      })()),
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Keeps the last few KiB a child printed: enough to explain a failed start. */
class LogTail {
  private buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > LOG_TAIL_BYTES) this.buffer = this.buffer.subarray(this.buffer.length - LOG_TAIL_BYTES);
  }
  text(): string {
    return this.buffer.toString('utf8').trim();
  }
}

// On an orderly exit, kill at once (no grace period) and clean up synchronously, as 'exit' requires.
// SIGINT/SIGTERM are not hooked: taking them over would change how the host process exits, and the
// supervisor covers those deaths anyway.
const live = new Map<ChildProcess, () => void>();
let exitHookInstalled = false;

function track(child: ChildProcess, removeDirs: () => void): void {
  live.set(child, removeDirs);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [c, remove] of live) {
      killGroup(c, 'SIGKILL');
      try {
        remove();
      } catch {
        // best effort while exiting
      }
    }
  });
}

function untrack(child: ChildProcess): void {
  live.delete(child);
}
