/**
 * Child processes for multi-process tests (lock races, signals): bundles a TypeScript entry under
 * test/support/children with esbuild into a temporary .mjs that plain `node` runs, so the children
 * exercise the same source the tests import, not the dist build.
 */
import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bundled = new Map<string, Promise<string>>();

/** The path of a runnable .mjs for `test/support/children/<name>.ts` (built once per test file). */
export function childScript(name: string): Promise<string> {
  let p = bundled.get(name);
  if (!p) {
    p = (async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'regtopo-child-')), `${name}.mjs`);
      await build({ entryPoints: [join(import.meta.dirname, 'children', `${name}.ts`)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'error' });
      return out;
    })();
    bundled.set(name, p);
  }
  return p;
}
