/**
 * Each start-up measure still does what its comment says, shown without timing (its worth is
 * measured by bench/startup-measures.mjs): the bundle never loads node:http2, llhttp (undici's
 * WebAssembly parser) never reaches TurboFan in a command of several requests, and the code cache one
 * command writes is accepted by V8 at the next start, so the tier-up hold and the GC nudge put V8's
 * flags back as they found them (startup-cli.test.ts covers writing, reuse and replacement).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, pushImage } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const PRELOAD = join(ROOT, 'test/support/module-load-preload.cjs');
const skip = registrySkipReason();
const { canHold } = createRequire(import.meta.url)('../../bin/wasm-tiering.js') as { canHold(): boolean };

/** Runs node with `args` (from the project root) and the env, tolerating a non-zero exit; stdout+stderr. */
async function node(args: string[], env: Record<string, string> = {}): Promise<string> {
  const opts = { cwd: ROOT, env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-startup-')), ...env }, maxBuffer: 16 << 20 };
  try {
    const r = await run(process.execPath, args, opts);
    return r.stdout + r.stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return (e.stdout ?? '') + (e.stderr ?? '');
  }
}

describe.skipIf(skip)('start-up measures, each doing what its comment says', () => {
  let registry: TestRegistry;
  let target: string;
  const withHttp2 = join(ROOT, 'dist/cli/main.bundle-test-http2.cjs');

  beforeAll(async () => {
    registry = await startTestRegistry('plain');
    target = `${registry.host}/none`;
    await pushImage(registry.url, 'app', '1', buildImage({ layers: [2048, 4096], seed: 'tier-up' }));
    // More than the 8 MiB after which the CLI nudges the GC (src/cli/gc-nudge.ts).
    await pushImage(registry.url, 'big', '1', buildImage({ layers: [9 << 20], seed: 'gc-nudge' }));
    const { cliBundleOptions } = (await import(join(ROOT, 'scripts/bundle-options.mjs'))) as {
      cliBundleOptions(o: { outfile: string; http2Stub: boolean }): Parameters<typeof build>[0];
    };
    await build(cliBundleOptions({ outfile: withHttp2, http2Stub: false }));
  });
  afterAll(async () => {
    rmSync(withHttp2, { force: true });
    rmSync(`${withHttp2}.LEGAL.txt`, { force: true });
    await registry?.stop();
  });

  const modulesLoaded = async (args: string[]): Promise<string[]> => {
    const list = join(mkdtempSync(join(tmpdir(), 'regtopo-modules-')), 'modules.txt');
    const out = await node(['--require', PRELOAD, ...args, 'tags', target], { REGTOPO_TEST_MODULE_LIST: list });
    expect(out).toContain('NAME_UNKNOWN');
    return readFileSync(list, 'utf8').split('\n');
  };

  it('a command that makes an HTTP exchange never loads node:http2 (and the same bundle without the stub does)', async () => {
    const shipped = await modulesLoaded(['bin/regtopo.js']);
    expect(shipped).toContain('NativeModule net');
    expect(shipped).not.toContain('NativeModule http2');
    const control = await modulesLoaded(['bench/bin-variant.cjs', '--bundle', withHttp2, '--']);
    expect(control).toContain('NativeModule http2');
  });

  it('the tier-up hold knows the default tiering budget of this V8 line (CI runs Node 20, 24 and 26)', () => {
    // bin/wasm-tiering.js lists the default per V8 line; a new line must be measured and added.
    expect(canHold(), `V8 ${process.versions.v8} is missing from bin/wasm-tiering.js`).toBe(true);
  });

  // Two HEADs spend llhttp's default budget: without the hold, its parse loop goes to TurboFan.
  it('llhttp never reaches TurboFan in a command of several requests (and without the hold it does)', async () => {
    const copy = ['copy', `${registry.host}/app:1`, `${registry.host}/app:1`];
    const shipped = await node(['--trace-wasm-compilation-times', 'bin/regtopo.js', ...copy]);
    expect(shipped).toContain('nothing copied');
    expect(shipped).toMatch(/using Liftoff/);
    expect(shipped).not.toMatch(/using TurboFan/);
    const control = await node(['--trace-wasm-compilation-times', 'bench/bin-variant.cjs', '--no-tier-hold', '--', ...copy]);
    expect(control).toContain('nothing copied');
    expect(control).toMatch(/using TurboFan/);
  });

  it('the code cache written after one command is accepted by V8 at the next start: the hold left the flags as it found them', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    const probe = (flag: string) => `${flag ? `require('node:v8').setFlagsFromString('${flag}');` : ''}
      const b = require('./bin/code-cache.js').loadBundle(${JSON.stringify(join(ROOT, 'dist/cli/main.bundle.cjs'))});
      process.stdout.write('accepted=' + b.cacheAccepted);`;
    // The command connects, so llhttp was compiled under the hold before the cache was written.
    expect(await node(['bin/regtopo.js', 'tags', target], { XDG_CACHE_HOME: cacheHome })).toContain('NAME_UNKNOWN');
    expect(await node(['-e', probe('')], { XDG_CACHE_HOME: cacheHome })).toBe('accepted=true');
    expect(await node(['-e', probe('')])).toBe('accepted=false');
    // V8 refuses a cache under other flags: the held budget itself, had it been left in force.
    expect(await node(['-e', probe('--wasm-tiering-budget=2000000000')], { XDG_CACHE_HOME: cacheHome })).toBe('accepted=false');
  });

  it('so is the cache a streaming copy writes: the GC nudge put --expose-gc back as it found it', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    // Into an OCI layout: every byte streams through the CLI (a copy within one registry would mount).
    const layout = join(mkdtempSync(join(tmpdir(), 'regtopo-layout-')), 'big');
    const out = await node(['bin/regtopo.js', 'copy', '--plain-http', `${registry.host}/big:1`, `oci:${layout}:1`], { XDG_CACHE_HOME: cacheHome });
    expect(out).toMatch(/blobs: 2 copied/);
    const accepted = await node(['-e', `const b = require('./bin/code-cache.js').loadBundle(${JSON.stringify(join(ROOT, 'dist/cli/main.bundle.cjs'))});
      process.stdout.write('accepted=' + b.cacheAccepted);`], { XDG_CACHE_HOME: cacheHome });
    expect(accepted).toBe('accepted=true');
    // The flag itself makes V8 refuse it, had it been left in force.
    expect(await node(['--expose-gc', '-e', `const b = require('./bin/code-cache.js').loadBundle(${JSON.stringify(join(ROOT, 'dist/cli/main.bundle.cjs'))});
      process.stdout.write('accepted=' + b.cacheAccepted);`], { XDG_CACHE_HOME: cacheHome })).toBe('accepted=false');
  });
});
