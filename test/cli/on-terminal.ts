/**
 * Runs the built CLI under a pseudo-terminal (util-linux `script`), so stderr is a TTY and the
 * progress line is drawn; stdout and stderr arrive merged, as a user sees them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/regtopo.js');
export const SCRIPT = '/usr/bin/script';
export const hasScript = existsSync(SCRIPT);

/** `columns`: the terminal's width (stty), for what is drawn on a narrow terminal. */
export function onTerminal(args: string[], columns?: number): Promise<{ code: number; output: string }> {
  const run = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const command = columns ? `stty cols ${columns}; ${run}` : run;
  const env = { ...process.env, DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'regtopo-tty-cfg-')), XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-tty-cache-')) };
  return new Promise((resolve) => {
    execFile(SCRIPT, ['-qec', command, '/dev/null'], { env, cwd: mkdtempSync(join(tmpdir(), 'regtopo-tty-cwd-')) }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output: stdout });
    });
  });
}
