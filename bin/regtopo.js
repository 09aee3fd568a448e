#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json) and kept tiny, so `regtopo --version` loads neither the ES module
// loader nor the CLI: ~7 ms less than an ES module entry (measured).
const args = process.argv.slice(2);
// `regtopo tags REPO | head -1`: a reader that stops early is not an error of ours. Without this,
// the next write to the closed pipe dies with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  // llhttp stays on V8's baseline compiler: without this, every command of more than one request
  // compiles it with TurboFan and waits for that before exiting (see wasm-tiering.js).
  require('./wasm-tiering.js').holdWasmTierUp();
  const path = require('node:path');
  // TCP handshakes to the registries a copy or tag names, run while the bundle loads (early-dial.ts).
  const earlySockets = dialEarly(path.join(__dirname, '..', 'dist', 'cli', 'early-dial.bundle.cjs'));
  const bundle = require('./code-cache.js').loadBundle(path.join(__dirname, '..', 'dist', 'cli', 'main.bundle.cjs'));
  const main = bundle ? Promise.resolve(bundle.main) : import('../dist/cli/main.js').then((m) => m.main);
  main
    .then((run) => run(process.argv, { earlySockets }))
    .then((code) => {
      process.exitCode = code;
      bundle?.save(bundle.commandRan?.());
    });
}

function dialEarly(file) {
  try {
    return require(file).dialEarly(args);
  } catch {
    return []; // a tsc-only build has no such bundle
  }
}
