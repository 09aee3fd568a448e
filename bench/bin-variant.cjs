'use strict';
// bin/regtopo.js with its start-up measures switchable, for bench/startup-measures.mjs only:
//   node bench/bin-variant.cjs [--flip-liftoff] [--no-code-cache] [--bundle FILE] -- regtopo args…
// --flip-liftoff: --liftoff-only where bin/regtopo.js sets it not (Node 22+), and not where it does.
// Kept in step with bin/regtopo.js by hand: it differs only where a switch says so.
const path = require('node:path');
const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const own = argv.slice(0, sep);
const args = argv.slice(sep + 1);
const bundleAt = own.indexOf('--bundle');
const file = bundleAt >= 0 ? path.resolve(own[bundleAt + 1]) : path.join(__dirname, '..', 'dist', 'cli', 'main.bundle.cjs');
const shippedLiftoff = Number(process.versions.node.split('.')[0]) < 22;
if (shippedLiftoff !== own.includes('--flip-liftoff')) require('node:v8').setFlagsFromString('--liftoff-only');
const bundle = own.includes('--no-code-cache') ? { main: require(file).main } : require('../bin/code-cache.js').loadBundle(file);
Promise.resolve(bundle.main)
  .then((run) => run([process.argv[0], path.join(__dirname, '..', 'bin', 'regtopo.js'), ...args]))
  .then((code) => {
    process.exitCode = code;
    bundle.save?.(bundle.commandRan?.());
  });
