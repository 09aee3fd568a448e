'use strict';
/**
 * Keeps undici's HTTP parser (llhttp, WebAssembly) on V8's baseline compiler for a command's whole
 * life, unless it parses enough traffic for optimised code to pay.
 *
 * V8 tiers a wasm function up to TurboFan once it has spent its tiering budget. llhttp's parse
 * loop is one 33 KB function, and two or three responses spend the default budget: every command
 * that makes more than one request then compiles it with TurboFan on a background thread (53 ms CPU,
 * --trace-wasm-compilation-times), and Node waits for that compile before the process exits. On
 * Node 24, a no-op copy (two HEADs) took 0.22 s and 230 ms CPU with the tier-up and 0.14 s and
 * 150 ms without it (perf stat, 4 interleaved rounds of 5). Baseline code parses a registry's
 * headers well enough: bodies pass through llhttp as spans, not byte by byte.
 *
 * The budget is read when a module is compiled, so it is raised for llhttp's compile only and put
 * back at once. Put back exactly: V8 stamps code caches with a hash of the flags that differ from
 * their defaults, so a flag left changed would make V8 refuse Node's cache of its own modules and
 * ours (bin/code-cache.js) from then on. The default differs between V8 lines and cannot be read at
 * run time, so it is listed per line, checked on each runtime CI runs (startup-measures.test.ts);
 * on a V8 line not listed, nothing is changed.
 */
const v8 = require('node:v8');

// V8's default --wasm-tiering-budget, per V8 line (`node --v8-options`): Node 20, 24 and 26.
const DEFAULT_BUDGET = { '11.3': 1_800_000, '13.6': 13_000_000, '14.6': 13_000_000 };
// ~150 times the default of the newer lines: a copy of some thousand requests still tiers up.
const HELD_BUDGET = 2_000_000_000;

/** Whether this V8 line's default budget is known, so the hold can be applied and undone exactly. */
exports.canHold = function canHold() {
  return defaultBudget() !== undefined;
};

/** Raises the budget around the next successful `new WebAssembly.Module` (undici compiles llhttp once). */
exports.holdWasmTierUp = function holdWasmTierUp() {
  const restore = defaultBudget();
  // A budget given on node's command line is the user's, and is left as it is.
  if (restore === undefined || process.execArgv.some((a) => /^--wasm[-_]tiering[-_]budget\b/.test(a))) return;
  const Original = WebAssembly.Module;
  WebAssembly.Module = function Module(bytes) {
    v8.setFlagsFromString(`--wasm-tiering-budget=${HELD_BUDGET}`);
    let mod;
    try {
      mod = new Original(bytes);
    } finally {
      v8.setFlagsFromString(`--wasm-tiering-budget=${restore}`);
    }
    // Kept after a failed compile: undici then compiles its non-SIMD build, which needs the hold too.
    WebAssembly.Module = Original;
    return mod;
  };
  WebAssembly.Module.prototype = Original.prototype;
};

function defaultBudget() {
  return DEFAULT_BUDGET[process.versions.v8.split('.').slice(0, 2).join('.')];
}
