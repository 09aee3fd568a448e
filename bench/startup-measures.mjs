// Weighs each start-up measure of bin/regtopo.js and scripts/bundle.mjs on a command that makes one
// HTTP exchange against a local registry (`regtopo tags HOST/none`: one tag-list GET, a 404): the
// shipped start-up against the same with one measure taken away (--liftoff-only, the V8 code cache,
// the node:http2 stub). Variants run interleaved, round by round, so load from other processes on
// the machine falls on all alike; each variant has its own warmed cache directory. Prints medians of
// wall and CPU (user+sys, from /usr/bin/time) over N rounds.
//   node bench/startup-measures.mjs [N=21]      (after npm run build)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { cliBundleOptions } from '../scripts/bundle-options.mjs';
import { startLocalRegistry } from '../dist/demo/local-registry.js';

const rounds = Number(process.argv[2] ?? 21);
const work = mkdtempSync(join(tmpdir(), 'regtopo-startup-'));
// Next to the real bundle, so files it finds relative to itself (package.json) resolve alike.
const withHttp2 = 'dist/cli/main.bundle-with-http2.cjs';
await build(cliBundleOptions({ outfile: withHttp2, http2Stub: false }));
const registry = await startLocalRegistry({ storage: 'inmemory' });
const target = `${registry.host}/none`;
const variants = [
  ['shipped (bin/regtopo.js)', ['bin/regtopo.js']],
  [Number(process.versions.node.split('.')[0]) < 22 ? 'without --liftoff-only' : 'with --liftoff-only', ['bench/bin-variant.cjs', '--flip-liftoff', '--']],
  ['without the code cache', ['bench/bin-variant.cjs', '--no-code-cache', '--']],
  ['without the http2 stub', ['bench/bin-variant.cjs', '--bundle', withHttp2, '--']],
].map(([name, args], i) => ({ name, args, cache: mkdtempSync(join(work, `v${i}-`)), wall: [], cpu: [] }));

// Asynchronous on purpose: the registry is this process's child and logs through a pipe that only
// an event loop drains; a synchronous spawn here once left it blocked on a full pipe, mid-run.
const once = (v) => new Promise((resolve, reject) => {
  const timing = join(work, 'time');
  const t = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timing, process.execPath, ...v.args, 'tags', target], {
    env: { ...process.env, XDG_CACHE_HOME: v.cache }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.on('close', (status) => {
    clearTimeout(timer);
    const wall = performance.now() - t;
    // 4: the registry has no such repository, which is the one exchange we wanted.
    if (status !== 4) return reject(new Error(`${v.name}: exit ${status}: ${stderr}`));
    const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    resolve({ wall, cpu: (user + sys) * 1000 });
  });
});
try {
  for (const v of variants) await once(v); // warm each variant's code cache
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      const m = await once(v);
      v.wall.push(m.wall);
      v.cpu.push(m.cpu);
    }
  }
} finally {
  await registry.stop();
  rmSync(withHttp2, { force: true });
  rmSync(`${withHttp2}.LEGAL.txt`, { force: true });
  rmSync(work, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`regtopo tags ${target} (exit 4), median of ${rounds} interleaved rounds; CPU = user+sys at 10 ms resolution`);
const base = variants[0];
for (const v of variants) {
  const dw = median(v.wall) - median(base.wall);
  const dc = median(v.cpu) - median(base.cpu);
  console.log(`  ${v.name.padEnd(26)} wall ${median(v.wall).toFixed(1).padStart(6)} ms (${v === base ? '  base' : (dw >= 0 ? '+' : '') + dw.toFixed(1)})  cpu ${median(v.cpu).toFixed(0).padStart(4)} ms (${v === base ? 'base' : (dc >= 0 ? '+' : '') + dc.toFixed(0)})`);
}
