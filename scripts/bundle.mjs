// Builds dist/cli/main.bundle.cjs: the whole CLI (our modules, commander, undici, yaml, zod...) as
// one CommonJS file, which bin/code-cache.js runs with a V8 code cache. Start-up is most of a small
// command's time (module resolution, file reads and compilation of ~150 modules: ~40 ms measured),
// and Node 20 has no compile cache of its own. The library (dist/index.js) is not bundled.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { cliBundleOptions } from './bundle-options.mjs';

await build(cliBundleOptions());
// bin/regtopo.js opens the first connections (src/cli/early-dial.ts) before it loads the CLI bundle:
// a bundle of its own, a few KB, so that runs at once.
await build({ ...cliBundleOptions({ outfile: 'dist/cli/early-dial.bundle.cjs' }), entryPoints: ['dist/cli/early-dial.js'] });

// bin/code-cache.js runs the bundle as a vm.Script, which has no loader for import() or import.meta:
// everything must have been bundled or turned into require() by esbuild.
const out = readFileSync(new URL('../dist/cli/main.bundle.cjs', import.meta.url), 'latin1');
const left = out.match(/(?<![\w$.])import\s*\(|import\.meta/);
if (left) throw new Error(`dist/cli/main.bundle.cjs still contains "${left[0]}": vm.Script cannot run it`);
