#!/usr/bin/env node
/**
 * What the registry itself spends per request: CPU time of a real Distribution process (from
 * /proc/PID/stat) for N blob HEADs, N blob GETs and N blob uploads (POST + PUT) of 64 KiB blobs,
 * 8 in flight, over loopback. Every copy tool pays these on the same machine, so they bound how far
 * below another tool's time a copy can go when the registries share its cores.
 *
 *   node bench/registry-cost.mjs [--n 200]
 */
import { readFileSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { startLocalRegistry } from '../dist/index.js';
import { Agent, request } from 'undici';

const i = process.argv.indexOf('--n');
const N = i === -1 ? 200 : Number(process.argv[i + 1]);
const tick = 100; // USER_HZ on Linux
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) / tick) * 1000;
};

const registry = await startLocalRegistry({});
// startLocalRegistry's pid is its supervisor shell's; the registry is that shell's child.
const registryPid = readFileSync(`/proc/${registry.pid}/task/${registry.pid}/children`, 'utf8')
  .trim().split(/\s+/).map(Number)
  .find((pid) => /registry/.test(readFileSync(`/proc/${pid}/comm`, 'utf8')));
if (!registryPid) throw new Error('registry process not found under its supervisor');
const dispatcher = new Agent({ connections: 8 });
const base = `${registry.url}/v2/bench/cost`;
const blobs = Array.from({ length: N }, () => {
  const bytes = randomBytes(64 << 10);
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
});

async function eightInFlight(fn) {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < N) await fn(blobs[next++]);
  }));
}
async function measure(name, fn) {
  const before = cpuMs(registryPid);
  const t = performance.now();
  await eightInFlight(fn);
  const wall = performance.now() - t;
  const cpu = cpuMs(registryPid) - before;
  console.log(`${name.padEnd(16)} ${(cpu / N).toFixed(2)} ms registry CPU per request (${N} in ${wall.toFixed(0)} ms wall)`);
}

try {
  await measure('upload POST+PUT', async (b) => {
    const post = await request(`${base}/blobs/uploads/`, { method: 'POST', dispatcher, reset: false });
    await post.body.dump();
    const loc = new URL(post.headers.location, registry.url);
    loc.searchParams.set('digest', b.digest);
    const put = await request(loc, { method: 'PUT', body: b.bytes, headers: { 'content-type': 'application/octet-stream' }, dispatcher, reset: false });
    await put.body.dump();
    if (put.statusCode !== 201) throw new Error(`upload: ${put.statusCode}`);
  });
  await measure('blob HEAD', async (b) => {
    const r = await request(`${base}/blobs/${b.digest}`, { method: 'HEAD', dispatcher, reset: false });
    await r.body.dump();
  });
  await measure('blob GET 64 KiB', async (b) => {
    const r = await request(`${base}/blobs/${b.digest}`, { dispatcher, reset: false });
    await r.body.dump();
  });
} finally {
  await dispatcher.close();
  await registry.stop();
}
