/**
 * The CLI starts from its bundle (scripts/bundle.mjs) with a V8 code cache in the user's cache
 * directory (bin/code-cache.js): written once, reused, replaced when V8 refuses it.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const BUNDLE = join(import.meta.dirname, '../../dist/cli/main.bundle.cjs');
const { loadBundle } = createRequire(import.meta.url)('../../bin/code-cache.js') as {
  loadBundle(file: string): { main: unknown; save(): void } | undefined;
};

describe('start-up from the bundle', () => {
  it('the build produces a pure-ASCII bundle', () => {
    expect(existsSync(BUNDLE)).toBe(true);
    // Read as latin1 by bin/code-cache.js: any non-ASCII byte would be decoded wrongly.
    expect(readFileSync(BUNDLE).every((b) => b < 0x80)).toBe(true);
  });

  it('writes the code cache once, reuses it, and replaces one V8 refuses', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    const dir = join(cacheHome, 'regtopo', 'code-cache');
    const first = await runCli(['tags', '--help'], { XDG_CACHE_HOME: cacheHome });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Usage: regtopo tags');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${process.version}-${process.arch}-\\d+-\\d+\\.v8$`));
    const file = join(dir, files[0]!);
    const written = readFileSync(file);
    expect(written.length).toBeGreaterThan(10_000);
    const mtime = statSync(file).mtimeMs;

    const second = await runCli(['tags', '--help'], { XDG_CACHE_HOME: cacheHome });
    expect(second.code).toBe(0);
    expect(statSync(file).mtimeMs).toBe(mtime);

    writeFileSync(file, Buffer.alloc(4096, 7));
    const third = await runCli(['tags', '--help'], { XDG_CACHE_HOME: cacheHome });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Usage: regtopo tags');
    expect(readFileSync(file).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(readdirSync(dir)).toEqual(files);
  });

  it('an unwritable cache directory only costs speed', async () => {
    const blocked = join(mkdtempSync(join(tmpdir(), 'regtopo-codecache-')), 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache directory would go');
    const r = await runCli(['tags', '--help'], { XDG_CACHE_HOME: blocked });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: regtopo tags');
  });

  it('without a bundle, the loader says so and bin falls back to dist/cli/main.js', () => {
    expect(loadBundle(join(tmpdir(), 'no-such-bundle.cjs'))).toBeUndefined();
  });
});
