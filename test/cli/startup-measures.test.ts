/**
 * Each start-up measure still does what its comment says, shown without timing (its worth is
 * measured by bench/startup-measures.mjs): the bundle never loads node:http2, --liftoff-only is in
 * force before undici's llhttp WebAssembly is compiled, and the code cache one command writes is
 * accepted by V8 at the next start (startup-cli.test.ts covers writing, reuse and replacement).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const PRELOAD = join(ROOT, 'test/support/module-load-preload.cjs');
const skip = registrySkipReason();
// bin/regtopo.js sets --liftoff-only on Node 20 and 21 only (see its comment).
const LIFTOFF = Number(process.versions.node.split('.')[0]) < 22;

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

  // Node 20's V8 tiers llhttp up to TurboFan in the background during a short command, which the
  // flag saves; the V8 of Node 22+ tiers up lazily and the flag costs CPU there, so it is not set.
  it.runIf(LIFTOFF)('Node 20: --liftoff-only is set before llhttp is compiled: no wasm function reaches TurboFan (and without the flag one does)', async () => {
    const shipped = await node(['--trace-wasm-compilation-times', 'bin/regtopo.js', 'tags', target]);
    expect(shipped).toContain('NAME_UNKNOWN');
    expect(shipped).toMatch(/using Liftoff/);
    expect(shipped).not.toMatch(/using TurboFan/);
    const control = await node(['--trace-wasm-compilation-times', 'bench/bin-variant.cjs', '--flip-liftoff', '--', 'tags', target]);
    expect(control).toMatch(/using TurboFan/);
  });

  it('the code cache written after one command is accepted by V8 at the next start', async () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'regtopo-codecache-'));
    // Under bin/regtopo.js's engine flags: V8 refuses a cache made under other ones.
    const probe = (liftoff: boolean) => `${liftoff ? "require('node:v8').setFlagsFromString('--liftoff-only');" : ''}
      const b = require('./bin/code-cache.js').loadBundle(${JSON.stringify(join(ROOT, 'dist/cli/main.bundle.cjs'))});
      process.stdout.write('accepted=' + b.cacheAccepted);`;
    expect(await node(['bin/regtopo.js', 'tags', target], { XDG_CACHE_HOME: cacheHome })).toContain('NAME_UNKNOWN');
    expect(await node(['-e', probe(LIFTOFF)], { XDG_CACHE_HOME: cacheHome })).toBe('accepted=true');
    expect(await node(['-e', probe(LIFTOFF)])).toBe('accepted=false');
    // Which flags the command ran with, shown by V8 itself: the cache is refused under the others
    // (so on Node 22+ this proves --liftoff-only was not set, and on Node 20 that it was).
    expect(await node(['-e', probe(!LIFTOFF)], { XDG_CACHE_HOME: cacheHome })).toBe('accepted=false');
  });
});
