'use strict';
// bin/regtopo.js with its start-up measures switchable, for bench/startup-measures.mjs only:
//   node bench/bin-variant.cjs [--no-tier-hold] [--no-early-dial] [--no-code-cache] [--bundle FILE] -- regtopo args…
// --no-tier-hold: llhttp tiers up to TurboFan as V8 decides (bin/wasm-tiering.js not applied).
// --no-early-dial: no connection is opened before the bundle loads (src/cli/early-dial.ts).
// Kept in step with bin/regtopo.js by hand: it differs only where a switch says so.
const path = require('node:path');
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = argv.slice(0, sep);
const args = argv.slice(sep + 1);
const bundleAt = own.indexOf('--bundle');
const file = bundleAt >= 0 ? path.resolve(own[bundleAt + 1]) : path.join(__dirname, '..', 'dist', 'cli', 'main.bundle.cjs');
if (!own.includes('--no-tier-hold')) require('../bin/wasm-tiering.js').holdWasmTierUp();
const earlySockets = own.includes('--no-early-dial') ? [] : require('../dist/cli/early-dial.bundle.cjs').dialEarly(args);
const bundle = own.includes('--no-code-cache') ? { main: require(file).main } : require('../bin/code-cache.js').loadBundle(file);
Promise.resolve(bundle.main)
  .then((run) => run([process.argv[0], path.join(__dirname, '..', 'bin', 'regtopo.js'), ...args], { earlySockets }))
  .then((code) => {
    process.exitCode = code;
    bundle.save?.(bundle.commandRan?.());
  });
