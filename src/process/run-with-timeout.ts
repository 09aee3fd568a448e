/**
 * The project's one way to run a child program with a time limit (approval hooks, ssh-keygen; later
 * credential helpers and the demo). POSIX process groups are the mechanism: the child is spawned as
 * the leader of a new group (`detached`), and a timeout, an abort or our own exit signals the whole
 * group with `process.kill(-pid)`. Killing only the child is not enough: `sh -c 'sleep 8; true'` with
 * the shell killed leaves `sleep` running, holding the output pipe open, for the full 8 s.
 *
 * A process-tree library (tree-kill and the like) walks `ps` output to find descendants, which races
 * with processes forking while it walks and needs `ps` on the machine; a process group is kept by
 * the kernel and needs nothing. A descendant that deliberately calls setsid() leaves the group;
 * that is the one thing this does not chase.
 *
 * Output is read through transport/bounded-body.ts (the one capped reader), so a chatty or hostile
 * program cannot grow our memory.
 */
import { spawn } from 'node:child_process';
import { RegtopoError } from '../errors.js';
import { readBounded } from '../transport/bounded-body.js';

export interface RunOptions {
  /** Arguments; with `shell: true`, `command` is a shell command line and args are not allowed. */
  args?: readonly string[];
  shell?: boolean;
  /** Written to stdin, then stdin is closed. Without it stdin is empty. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
  /** Bytes kept of stdout and of stderr each. */
  outputLimit: number;
  /** What exceeding outputLimit means: keep the first bytes ('truncate', default) or fail ('fail'). */
  overflow?: 'truncate' | 'fail';
  /** Between SIGTERM to the group and SIGKILL on timeout or abort. Default 500 ms. */
  killGraceMs?: number;
  signal?: AbortSignal;
  /** Used in error messages ("approval command", "ssh-keygen"). */
  what?: string;
}

export interface RunResult {
  /** null when it ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** The time limit ended it (its group was killed). */
  timedOut: boolean;
  /** stdout or stderr reached outputLimit and was cut there. */
  truncated: boolean;
}

const DEFAULT_KILL_GRACE_MS = 500;

export async function runWithTimeout(command: string, options: RunOptions): Promise<RunResult> {
  const what = options.what ?? `"${command}"`;
  if (options.shell && options.args?.length) throw new RegtopoError('E_INTERNAL', `${what}: a shell command takes no separate arguments`);
  if (options.signal?.aborted) throw new RegtopoError('E_INTERRUPTED', `${what}: interrupted before it started`);
  const child = spawn(command, options.args ?? [], {
    shell: options.shell ?? false,
    detached: true, // leader of its own process group: one kill reaches every descendant
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    // The spawn error stays the cause: callers tell "not on PATH" (ENOENT) from other failures.
    child.once('error', (err) => reject(new RegtopoError('E_CONFIG', `${what} could not start: ${err.message}`, { cause: err })));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Reading must begin before the child can fill a pipe; errors surface once we know it started.
  const reading = Promise.all([
    readOutput(child.stdout, options, `${what} stdout`),
    readOutput(child.stderr, options, `${what} stderr`),
  ]);
  reading.catch(() => undefined);
  await started;

  const pid = child.pid!;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is gone already.
    }
  };
  const terminate = (): void => {
    killGroup('SIGTERM');
    killTimer ??= setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    terminate();
  }, options.timeoutMs);
  const onAbort = (): void => terminate();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // If we exit first (an uncaught error, process.exit), the group must not outlive us.
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);

  child.stdin.on('error', () => undefined); // a program that never reads stdin is not an error
  child.stdin.end(options.input ?? '');
  try {
    const { code, signal } = await exited;
    // Descendants left behind by a finished leader would hold the pipes open: end them too.
    killGroup('SIGKILL');
    const [stdout, stderr] = await reading;
    if (options.signal?.aborted) throw new RegtopoError('E_INTERRUPTED', `${what}: interrupted`);
    return {
      exitCode: code, signal, stdout: stdout.bytes, stderr: stderr.bytes, timedOut,
      truncated: stdout.truncated || stderr.truncated,
    };
  } finally {
    clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', onAbort);
    process.off('exit', onExit);
  }
}

async function readOutput(stream: NodeJS.ReadableStream & { destroy(error?: Error): unknown }, options: RunOptions, what: string): Promise<{ bytes: Buffer; truncated: boolean }> {
  const truncate = (options.overflow ?? 'truncate') === 'truncate';
  // One byte over the limit tells a cut apart from output of exactly the limit.
  const bytes = await readBounded(stream as AsyncIterable<Uint8Array | string> & { destroy(error?: Error): unknown }, options.outputLimit + (truncate ? 1 : 0), what, { truncate, code: 'E_CONFIG' });
  if (truncate && bytes.length > options.outputLimit) {
    // readBounded closed the pipe at the cap: a program still writing gets EPIPE/SIGPIPE and ends.
    return { bytes: bytes.subarray(0, options.outputLimit), truncated: true };
  }
  return { bytes, truncated: false };
}
