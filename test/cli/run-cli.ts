/** Runs the built CLI as a user would: a child process, its exit code, stdout and stderr. */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/regtopo.js');
// An empty docker config: tests must never pick up the machine's real credentials.
const EMPTY_DOCKER_CONFIG = mkdtempSync(join(tmpdir(), 'regtopo-cli-dockercfg-'));
// Commands pick up ./registries.yaml when present; by default run where there is none.
const NEUTRAL_CWD = mkdtempSync(join(tmpdir(), 'regtopo-cli-cwd-'));
// The validated-topology cache goes to a throwaway dir, never the user's ~/.cache.
const CACHE_HOME = mkdtempSync(join(tmpdir(), 'regtopo-cli-cache-'));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, DOCKER_CONFIG: EMPTY_DOCKER_CONFIG, XDG_CACHE_HOME: CACHE_HOME, ...env }, cwd: cwd ?? NEUTRAL_CWD, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}
