/**
 * The CLI bundle (scripts/bundle-options.mjs: one CommonJS file run as a vm.Script) carries
 * libraries that only some commands need without running them at start-up: sigstore only for a
 * keyless gate, zod (the record and topology schemas) not for a copy, which carries records as
 * referrers without reading them. An entry is bundled with the CLI's own options, each module of
 * the library marked so that running its body counts, and the bundle is run in a fresh node.
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

/** Prefixes every module of the packages `filter` matches with a bump of globalThis[counter]. */
const countModules = (filter: RegExp, counter: string): Plugin => ({
  name: `count-${counter}`,
  setup(b) {
    b.onLoad({ filter }, (args) => ({
      contents: `globalThis.${counter} = (globalThis.${counter} ?? 0) + 1;\n${readFileSync(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
});
const countSigstoreModules = countModules(/[\\/]node_modules[\\/]@sigstore[\\/].*\.js$/, '__sigstoreModulesRun');
const countZodModules = countModules(/[\\/]node_modules[\\/]zod[\\/].*\.js$/, '__zodModulesRun');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles `source` (an entry module) as the CLI is bundled, with `counting`; returns the bundle's path. */
async function bundle(name: string, source: string, counting: Plugin = countSigstoreModules): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  const outfile = join(dir, `${name}.bundle.cjs`);
  const { cliBundleOptions } = (await import(join(ROOT, 'scripts/bundle-options.mjs'))) as { cliBundleOptions(o: { outfile: string }): BuildOptions };
  const options = cliBundleOptions({ outfile });
  await build({ ...options, entryPoints: [entry], plugins: [...(options.plugins ?? []), counting] });
  return outfile;
}

describe('the keyless verifier in the CLI bundle', () => {
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

describe('zod in the CLI bundle', () => {
  const counted = async (name: string, source: string): Promise<number> => {
    const outfile = await bundle(name, source, countZodModules);
    const { stdout } = await run(process.execPath, ['-e', `require(${JSON.stringify(outfile)}); console.log(globalThis.__zodModulesRun ?? 0)`], { cwd: dir });
    return Number(stdout);
  };

  it('a copy loads no zod module (the record schemas load when a record is read)', async () => {
    expect(await counted('copy', `export { copy } from ${JSON.stringify(join(ROOT, 'src/ops/copy.ts'))};\n`)).toBe(0);
    // The control: the schemas the copy path used to build at start-up.
    expect(await counted('schemas', `export { parseRecordBody } from ${JSON.stringify(join(ROOT, 'src/ops/promotion/record-schemas.ts'))};\n`)).toBeGreaterThan(5);
  });
});
