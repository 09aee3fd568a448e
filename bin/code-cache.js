'use strict';
/**
 * Runs the CLI bundle (dist/cli/main.bundle.cjs, see scripts/bundle.mjs) with a V8 code cache, so a
 * command does not parse and compile its modules again on every start (Node 20 has no compile cache;
 * Node 22's module.enableCompileCache does the same job). The cache is written per bundle content
 * and Node version, after a command ran, so it holds the functions that command compiled, and the
 * file lists the commands it has seen. A command it has not seen writes it again, adding its own
 * functions to those it held: a cache first written by `--help` would otherwise make every later
 * `copy` compile the whole copy path (~20 ms CPU a run, measured). So there are at most as many
 * writes as commands. V8 refuses a cache made under other engine flags (we then write a fresh one),
 * but it checks little more than the source's length, so the file name carries a hash of the bundle.
 *
 * The cache lives in the user's own cache directory (XDG_CACHE_HOME or ~/.cache), created 0700,
 * like the topology cache: whoever can write there can already change what the user runs.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'regtopo', 'code-cache');
}

// Two builds or Node versions used in turn (nvm, a global regtopo and a project's own, a CI image with
// two Node lines) each keep their cache instead of rewriting it at every switch: a rewrite costs a
// run ~100 ms (measured, alternating two builds on Node 20). Older caches go: at most 4 files of
// ~0.4-1.3 MB each.
const KEPT_CACHES = 4;

/**
 * The files of `dir` to remove before `name` is written: caches beyond the KEPT_CACHES - 1 newest
 * others, and temp files a writer that died left behind (a minute old: a live writer renames its own
 * within milliseconds).
 */
function staleFiles(dir, name) {
  const now = Date.now();
  const others = [];
  const stale = [];
  for (const file of fs.readdirSync(dir)) {
    if (file === name) continue;
    let mtime;
    try {
      mtime = fs.statSync(path.join(dir, file)).mtimeMs;
    } catch {
      continue;
    }
    if (file.endsWith('.v8')) others.push({ file, mtime });
    else if (file.endsWith('.tmp') && now - mtime > 60_000) stale.push(file);
  }
  others.sort((a, b) => b.mtime - a.mtime);
  return [...stale, ...others.slice(KEPT_CACHES - 1).map((o) => o.file)];
}

/**
 * A cache file: a 4-byte little-endian length, the JSON list of commands it was written after, then
 * V8's data. Anything else reads as no cache.
 */
function readCache(file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    const length = bytes.readUInt32LE(0);
    const commands = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8'));
    if (!Array.isArray(commands) || !commands.every((c) => typeof c === 'string')) return undefined;
    return { commands, data: bytes.subarray(4 + length) };
  } catch {
    return undefined;
  }
}

/**
 * Loads the bundle and returns its `main` with a `save(command)` that writes the code cache when there
 * was none, V8 refused it, or it was never written after `command` (call it after the command ran,
 * so the functions it compiled are in the cache), and `cacheAccepted`. Returns undefined when there
 * is no bundle (a tsc-only build), and the caller imports dist/cli/main.js.
 */
exports.loadBundle = function loadBundle(file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  // Keyed by content: V8's own check on a cache is little more than the source length, and npm gives
  // every installed file the same mtime, so two builds of equal size must never share a cache.
  const hash = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  // The bundle is pure ASCII (charset: 'ascii' in the build): latin1 makes it a one-byte string
  // without a UTF-8 decoding pass (~10 ms on 1.4 MB, measured).
  const source = bytes.toString('latin1');
  const dir = cacheDir();
  const name = `${process.version}-${process.arch}-${hash}.v8`;
  const cached = readCache(path.join(dir, name));
  const cachedData = cached?.data;
  // The wrapper stays on the bundle's first line so stack traces keep its line numbers.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  const accepted = cachedData !== undefined && !script.cachedDataRejected;
  const save = (command = '') => {
    const seen = accepted ? cached.commands : [];
    if (accepted && seen.includes(command)) return;
    try {
      const list = Buffer.from(JSON.stringify([...seen, command]), 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(list.length);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const old of staleFiles(dir, name)) fs.rmSync(path.join(dir, old), { force: true });
      const tmp = path.join(dir, `${name}.${process.pid}.tmp`);
      fs.writeFileSync(tmp, Buffer.concat([length, list, script.createCachedData()]), { mode: 0o600 });
      fs.renameSync(tmp, path.join(dir, name));
    } catch {
      // A read-only or full cache directory only costs speed.
    }
  };
  // Whether V8 took the cache (tests and benchmarks read it; a refused one is rewritten by save()).
  return { main: module.exports.main, commandRan: module.exports.commandRan, save, cacheAccepted: accepted };
};
