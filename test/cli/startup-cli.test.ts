/**
 * The CLI starts from its bundle (scripts/bundle.mjs) with a V8 code cache in the user's cache
 * directory (bin/code-cache.js): written once, reused, replaced when V8 refuses it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
    expect(files[0]).toMatch(new RegExp(`^${process.version}-${process.arch}-[0-9a-f]{32}\\.v8$`));
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

  it('a command the cache was never written after adds its functions to it, once', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    const dir = join(cacheHome, 'regtopo', 'code-cache');
    const topology = join(import.meta.dirname, '../../registries.yaml');
    const state = () => {
      const [name] = readdirSync(dir);
      const bytes = readFileSync(join(dir, name!));
      const length = bytes.readUInt32LE(0);
      return { commands: JSON.parse(bytes.subarray(4, 4 + length).toString()) as string[], size: bytes.length, mtime: statSync(join(dir, name!)).mtimeMs };
    };
    expect((await runCli(['--help'], { XDG_CACHE_HOME: cacheHome })).code).toBe(0);
    const help = state();
    expect(help.commands).toEqual(['']);
    // validate compiles yaml, zod and the topology rules, none of which --help touched.
    expect((await runCli(['-f', topology, 'validate'], { XDG_CACHE_HOME: cacheHome })).code).toBe(0);
    const validated = state();
    expect(validated.commands).toEqual(['', 'validate']);
    expect(validated.size).toBeGreaterThan(help.size * 1.5);
    for (const args of [['-f', topology, 'validate'], ['--help']]) {
      expect((await runCli(args, { XDG_CACHE_HOME: cacheHome })).code).toBe(0);
      expect(state()).toEqual(validated);
    }
  });

  it('an unwritable cache directory only costs speed', async () => {
    const blocked = join(mkdtempSync(join(tmpdir(), 'regtopo-codecache-')), 'not-a-dir');
    writeFileSync(blocked, 'a file where the cache directory would go');
    const r = await runCli(['tags', '--help'], { XDG_CACHE_HOME: blocked });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: regtopo tags');
  });

  it('two bundles of the same length never share a cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-bundles-'));
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cacheHome;
    try {
      const [a, b] = ['1', '2'].map((n) => {
        const file = join(dir, `bundle-${n}.cjs`);
        writeFileSync(file, `exports.main = function main() { return ${n}; };\n`);
        // Same size and same mtime, as npm leaves every installed file: only the content differs.
        utimesSync(file, 499162500, 499162500);
        return file;
      });
      const first = loadBundle(a!)!;
      expect((first.main as () => number)()).toBe(1);
      first.save();
      const second = loadBundle(b!)!;
      expect((second.main as () => number)()).toBe(2);
      second.save();
      const files = readdirSync(join(cacheHome, 'regtopo', 'code-cache'));
      expect(files).toHaveLength(2);
      // Each is taken again, and used in turn neither is written again.
      for (const [file, n] of [[a!, 1], [b!, 2], [a!, 1]] as const) {
        const again = loadBundle(file) as { main: () => number; cacheAccepted: boolean; save(): void };
        expect(again.main()).toBe(n);
        expect(again.cacheAccepted).toBe(true);
        again.save();
      }
      expect(readdirSync(join(cacheHome, 'regtopo', 'code-cache'))).toEqual(files);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('keeps the caches of the four builds (or Node versions) written last, and removes what a dead writer left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-bundles-'));
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    const cacheDir = join(cacheHome, 'regtopo', 'code-cache');
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cacheHome;
    try {
      const names: string[] = [];
      for (let n = 1; n <= 5; n++) {
        const file = join(dir, `bundle-${n}.cjs`);
        writeFileSync(file, `exports.main = function main() { return ${n}; };\n`);
        loadBundle(file)!.save();
        const added = readdirSync(cacheDir).find((f) => f.endsWith('.v8') && !names.includes(f))!;
        names.push(added);
        // Written a second apart, as builds used in turn are.
        utimesSync(join(cacheDir, added), 1_700_000_000 + n, 1_700_000_000 + n);
        if (n === 4) {
          writeFileSync(join(cacheDir, `${added}.999.tmp`), 'half');
          utimesSync(join(cacheDir, `${added}.999.tmp`), 1_700_000_000, 1_700_000_000);
          writeFileSync(join(cacheDir, `${added}.1000.tmp`), 'a live writer');
        }
      }
      expect(readdirSync(cacheDir).sort()).toEqual([...names.slice(1), `${names[3]}.1000.tmp`].sort());
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('without a bundle, the loader says so and bin falls back to dist/cli/main.js', () => {
    expect(loadBundle(join(tmpdir(), 'no-such-bundle.cjs'))).toBeUndefined();
  });
});
