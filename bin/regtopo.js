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
  // undici parses HTTP with llhttp compiled to WebAssembly. Node 20's V8 recompiles it with TurboFan
  // on background threads, and Node waits for that before exiting: ~140 ms CPU added to every
  // command (bench/startup-measures.mjs). Liftoff code parses registry traffic as fast for our
  // purposes. The V8 of Node 22 and later tiers up lazily, and there the flag costs ~40 ms CPU
  // instead (same bench, Node 24 and 26): it is set where it pays only.
  if (Number(process.versions.node.split('.')[0]) < 22) require('node:v8').setFlagsFromString('--liftoff-only');
  const path = require('node:path');
  const bundle = require('./code-cache.js').loadBundle(path.join(__dirname, '..', 'dist', 'cli', 'main.bundle.cjs'));
  const main = bundle ? Promise.resolve(bundle.main) : import('../dist/cli/main.js').then((m) => m.main);
  main
    .then((run) => run(process.argv))
    .then((code) => {
      process.exitCode = code;
      bundle?.save(bundle.commandRan?.());
    });
}
