/**
 * Takes the lock at argv[2], prints "held" and keeps running until a signal arrives. With argv[3] =
 * "handled" it installs its own SIGTERM handler first (as the CLI does) and releases in a finally;
 * with "exit" it calls process.exit(0) without releasing.
 */
import { acquireFileLock } from '../../../src/lock/file-lock.js';

const [path, mode] = process.argv.slice(2) as [string, string | undefined];
const controller = new AbortController();
if (mode === 'handled') {
  process.on('SIGTERM', () => controller.abort());
}
const lock = await acquireFileLock(path, { staleMs: 60_000 });
process.stdout.write('held\n');
if (mode === 'exit') process.exit(0);
try {
  await new Promise<void>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve());
    setInterval(() => {}, 1000);
  });
} finally {
  await lock.release();
  process.stdout.write('released\n');
  process.exit(130);
}
