// Builds dist/cli/main.bundle.cjs: the whole CLI (our modules, commander, undici, yaml, zod...) as
// one CommonJS file, which bin/code-cache.js runs with a V8 code cache. Start-up is most of a small
// command's time (module resolution, file reads and compilation of ~150 modules: ~40 ms measured),
// and Node 20 has no compile cache of its own. The library (dist/index.js) is not bundled.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// The library imports undici's public root; the CLI bundle takes only the pieces it uses (see
// scripts/undici-lean.cjs). Only the bare specifier is redirected: the stand-in itself requires
// undici's own files by path.
const undiciLean = {
  name: 'undici-lean',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: fileURLToPath(new URL('./undici-lean.cjs', import.meta.url)) }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/main.bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Modules that read files next to them (package.json, registries.yaml) resolve from the bundle's
  // own URL, which sits in dist/cli like main.js does.
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  // undici's client loads node:http2 at start-up (~14 ms) for connections regtopo never makes: the
  // CLI does not enable allowH2. The stub is what undici itself falls back to without http2.
  alias: { 'node:http2': './scripts/no-http2.cjs' },
  plugins: [undiciLean],
  // Whitespace and comments out, names kept (readable stack traces): half the bytes to read and
  // parse on every start, and pure ASCII, which V8 reads as a one-byte string (~25 ms faster,
  // measured). Licence comments of the bundled packages go to main.bundle.cjs.LEGAL.txt.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'external',
  logLevel: 'warning',
});

// bin/code-cache.js runs the bundle as a vm.Script, which has no loader for import() or import.meta:
// everything must have been bundled or turned into require() by esbuild.
const out = readFileSync(new URL('../dist/cli/main.bundle.cjs', import.meta.url), 'latin1');
const left = out.match(/(?<![\w$.])import\s*\(|import\.meta/);
if (left) throw new Error(`dist/cli/main.bundle.cjs still contains "${left[0]}": vm.Script cannot run it`);
