/**
 * Headless Chromium for tests that must see a page as a browser does (the HTML inventory). Skips,
 * with a message saying what to install, when no chromium is on the machine (Debian: `chromium`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

const announced = new Set<string>();

export function chromiumSkipReason(): string | undefined {
  const reason = findChromium() ? undefined : 'no chromium (apt-get install -y chromium)';
  if (reason && !announced.has(reason)) {
    announced.add(reason);
    console.warn(`skipping browser suites: ${reason}`);
  }
  return reason;
}

export interface ChromiumRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One headless run with every background service off, so the browser itself makes no request. */
export function runChromium(args: string[], timeoutMs = 20_000): Promise<ChromiumRun> {
  const profile = mkdtempSync(join(tmpdir(), 'regtopo-chromium-'));
  const base = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0',
  ];
  return new Promise((resolve) => {
    execFile(findChromium()!, [...base, ...args], { timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}
