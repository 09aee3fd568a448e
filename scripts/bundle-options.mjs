// The CLI bundle's esbuild options, shared by scripts/bundle.mjs and the start-up benchmark
// (bench/startup-measures.mjs builds variants without one measure to weigh it).
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

// The library imports undici's public root; the CLI bundle takes only the pieces it uses (see
// scripts/undici-lean.cjs). Only the bare specifier is redirected: the stand-in itself requires
// undici's own files by path.
const undiciLean = {
  name: 'undici-lean',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: fileURLToPath(new URL('./undici-lean.cjs', import.meta.url)) }));
  },
};

export function cliBundleOptions({ outfile = 'dist/cli/main.bundle.cjs', http2Stub = true } = {}) {
  return {
    absWorkingDir: root,
    entryPoints: ['dist/cli/main.js'],
    outfile,
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
    alias: http2Stub ? { 'node:http2': './scripts/no-http2.cjs' } : {},
    plugins: [undiciLean],
    // Whitespace and comments out, names kept (readable stack traces): half the bytes to read and
    // parse on every start, and pure ASCII, which V8 reads as a one-byte string (~25 ms faster,
    // measured). Licence comments of the bundled packages go to main.bundle.cjs.LEGAL.txt.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'external',
    logLevel: 'warning',
  };
}

