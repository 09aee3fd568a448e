/**
 * The CLI bundle (scripts/bundle-options.mjs: one CommonJS file run as a vm.Script) must carry the
 * sigstore libraries without running them at start-up: only a keyless gate pays for them. The
 * verifier is bundled with the CLI's own options, each @sigstore module marked so that running its
 * body counts, and the bundle is run in a fresh node.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'regtopo-keyless-bundle-'));

/** Prefixes every @sigstore module with a counter bump, so the count says how many bodies ran. */
const countSigstoreModules: Plugin = {
  name: 'count-sigstore-modules',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@sigstore[\\/].*\.js$/ }, (args) => ({
      contents: `globalThis.__sigstoreModulesRun = (globalThis.__sigstoreModulesRun ?? 0) + 1;\n${readFileSync(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};

describe('the keyless verifier in the CLI bundle', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Bundles `source` (an entry module) as the CLI is bundled; returns the bundle's path. */
  async function bundle(name: string, source: string): Promise<string> {
    const entry = join(dir, `${name}.ts`);
    writeFileSync(entry, source);
    const outfile = join(dir, `${name}.bundle.cjs`);
    const { cliBundleOptions } = (await import(join(ROOT, 'scripts/bundle-options.mjs'))) as { cliBundleOptions(o: { outfile: string }): BuildOptions };
    const options = cliBundleOptions({ outfile });
    await build({ ...options, entryPoints: [entry], plugins: [...(options.plugins ?? []), countSigstoreModules] });
    return outfile;
  }

  it('counts sigstore modules run at load when they are imported eagerly (the control)', async () => {
    const outfile = await bundle('eager', `import { Verifier } from ${JSON.stringify(join(ROOT, 'node_modules/@sigstore/verify/dist/index.js'))};\nexport const v = Verifier;\n`);
    const { stdout } = await run(process.execPath, ['-e', `require(${JSON.stringify(outfile)}); console.log(globalThis.__sigstoreModulesRun ?? 0)`], { cwd: dir });
    expect(Number(stdout)).toBeGreaterThan(10);
  });

  it('loads no sigstore module until verifySigstoreBundle is called, and then loads them', async () => {
    const outfile = await bundle('lazy', `export { verifySigstoreBundle } from ${JSON.stringify(join(ROOT, 'src/signing/keyless.ts'))};\n`);
    const out = readFileSync(outfile, 'latin1');
    expect(out).toContain('__sigstoreModulesRun');
    // What scripts/bundle.mjs refuses: bin/code-cache.js runs the bundle as a vm.Script, which has no import().
    expect(out).not.toMatch(/(?<![\w$.])import\s*\(|import\.meta/);

    const script = [
      `const m = require(${JSON.stringify(outfile)});`,
      'const before = globalThis.__sigstoreModulesRun ?? 0;',
      `m.verifySigstoreBundle({}, 'sha256:${'0'.repeat(64)}', { issuer: 'x', subject: /x/, trustedRoot: {} })`,
      '  .then((v) => console.log(JSON.stringify({ before, after: globalThis.__sigstoreModulesRun ?? 0, ok: v.ok })));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir });
    const counts = JSON.parse(stdout) as { before: number; after: number; ok: boolean };
    expect(counts.before).toBe(0);
    expect(counts.after).toBeGreaterThan(10);
    expect(counts.ok).toBe(false);
  });
});
