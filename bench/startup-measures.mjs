// Weighs each start-up measure of bin/regtopo.js and scripts/bundle.mjs on two commands against a
// local registry: one HTTP exchange (`regtopo tags HOST/none`: one tag-list GET, a 404) and a no-op
// copy (a HEAD per side: the smallest command whose parsing would tier llhttp up). The
// shipped start-up against the same with one measure taken away (the llhttp tier-up hold, the V8 code cache,
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
import { pushDemoImage } from '../dist/demo/demo-image.js';
import { RegistryClient } from '../dist/index.js';

const rounds = Number(process.argv[2] ?? 21);
const work = mkdtempSync(join(tmpdir(), 'regtopo-startup-'));
// Next to the real bundle, so files it finds relative to itself (package.json) resolve alike.
const withHttp2 = 'dist/cli/main.bundle-with-http2.cjs';
await build(cliBundleOptions({ outfile: withHttp2, http2Stub: false }));
const registry = await startLocalRegistry({ storage: 'inmemory' });
const target = `${registry.host}/none`;
const seeder = new RegistryClient();
await pushDemoImage(seeder.repository({ registry: registry.host, repository: 'app' }), '1', { platforms: ['linux/amd64'], layersPerPlatform: 2, layerBytes: 4096, version: '1' });
await seeder.close();
const commands = [
  { name: `tags ${target}`, args: ['tags', target], exit: 4 },
  { name: 'copy, already up to date', args: ['copy', `${registry.host}/app:1`, `${registry.host}/app:1`], exit: 0 },
];
const variants = [
  ['shipped (bin/regtopo.js)', ['bin/regtopo.js']],
  ['without the llhttp tier-up hold', ['bench/bin-variant.cjs', '--no-tier-hold', '--']],
  ['without the code cache', ['bench/bin-variant.cjs', '--no-code-cache', '--']],
  ['without the http2 stub', ['bench/bin-variant.cjs', '--bundle', withHttp2, '--']],
].map(([name, args], i) => ({ name, args, cache: mkdtempSync(join(work, `v${i}-`)), wall: commands.map(() => []), cpu: commands.map(() => []) }));

// Asynchronous on purpose: the registry is this process's child and logs through a pipe that only
// an event loop drains; a synchronous spawn here once left it blocked on a full pipe, mid-run.
const once = (v, command) => new Promise((resolve, reject) => {
  const timing = join(work, 'time');
  const t = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timing, process.execPath, ...v.args, ...command.args], {
    env: { ...process.env, XDG_CACHE_HOME: v.cache }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.on('close', (status) => {
    clearTimeout(timer);
    const wall = performance.now() - t;
    // tags exits 4: the registry has no such repository, which is the one exchange we wanted.
    if (status !== command.exit) return reject(new Error(`${v.name} ${command.name}: exit ${status}: ${stderr}`));
    const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    resolve({ wall, cpu: (user + sys) * 1000 });
  });
});
try {
  // Warm each variant's code cache (a command it has not seen rewrites it: bin/code-cache.js).
  for (const v of variants) for (const c of commands) await once(v, c);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      for (const [k, c] of commands.entries()) {
        const m = await once(v, c);
        v.wall[k].push(m.wall);
        v.cpu[k].push(m.cpu);
      }
    }
  }
} finally {
  await registry.stop();
  rmSync(withHttp2, { force: true });
  rmSync(`${withHttp2}.LEGAL.txt`, { force: true });
  rmSync(work, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = variants[0];
for (const [k, c] of commands.entries()) {
  console.log(`regtopo ${c.name}: median of ${rounds} interleaved rounds; CPU = user+sys at 10 ms resolution`);
  for (const v of variants) {
    const dw = median(v.wall[k]) - median(base.wall[k]);
    const dc = median(v.cpu[k]) - median(base.cpu[k]);
    console.log(`  ${v.name.padEnd(32)} wall ${median(v.wall[k]).toFixed(1).padStart(6)} ms (${v === base ? '  base' : (dw >= 0 ? '+' : '') + dw.toFixed(1)})  cpu ${median(v.cpu[k]).toFixed(0).padStart(4)} ms (${v === base ? 'base' : (dc >= 0 ? '+' : '') + dc.toFixed(0)})`);
  }
}
