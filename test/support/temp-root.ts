/**
 * vitest global setup: every temporary file of a test run (test fixtures, registries' data and run
 * directories, CLI caches, OCI layouts) goes under one directory of its own, removed when the run
 * ends, so `npm test` leaves nothing behind in the system temp directory. Workers, the CLI processes
 * they start and the registries inherit TMPDIR, which os.tmpdir() and mkdtemp honour.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'regtopo-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
