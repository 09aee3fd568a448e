#!/usr/bin/env node
/**
 * Replication and backup benchmark: N tags (default 100) in one prod repository, replicated to two
 * replicas by `regtopo replicate`, then replicated again (the no-op: everything in sync), and prod
 * backed up into an OCI layout twice (the second run: nothing new). Every registry sits behind a
 * small counting proxy, so the request counts are what the registries saw, by method. skopeo sync
 * of the same repository into the same replicas is the reference for the no-op. Median of R runs.
 * Needs `npm run build`, docker-registry and skopeo.
 *
 *   node bench/replicate-bench.mjs [--tags 100] [--runs 3]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { RegistryClient, startLocalRegistry, digestOf, MediaType, staticCredentials } from '../dist/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const TAGS = arg('--tags', 100);
const RUNS = arg('--runs', 3);
const BIN = join(import.meta.dirname, '../bin/regtopo.js');
const REPO = 'team/benchapp';

/** A reverse proxy that forwards everything and counts requests by method. */
async function countingProxy(target) {
  const agent = new Agent({ keepAlive: true });
  const counts = {};
  const server = createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1;
    const up = httpRequest({ host: '127.0.0.1', port: new URL(target).port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${server.address().port}`;
  return {
    host, url: `http://${host}`,
    take() { const c = { ...counts }; for (const k of Object.keys(counts)) delete counts[k]; return c; },
    stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); agent.destroy(); }),
  };
}

const registries = await Promise.all([0, 1, 2].map(() => startLocalRegistry({})));
const [prod, eu, us] = await Promise.all(registries.map((r) => countingProxy(r.url)));
const dir = mkdtempSync(join(tmpdir(), 'regtopo-repl-bench-'));
const client = new RegistryClient({ credentials: staticCredentials({}) });
const exec = promisify(execFile);

try {
  const store = client.repository({ registry: registries[0].host, repository: REPO });
  const put = async (bytes, mediaType) => {
    const desc = { mediaType, digest: digestOf(bytes), size: bytes.length };
    await store.putBlob(desc, async () => Readable.from([bytes]));
    return desc;
  };
  const base = await put(randomBytes(1 << 20), MediaType.OciLayerGzip);
  for (let i = 0; i < TAGS; i++) {
    const own = await put(randomBytes(16 << 10), MediaType.OciLayerGzip);
    const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [base.digest, own.digest] }, config: { Labels: { n: String(i) } } })), MediaType.OciConfig);
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [base, own] }));
    await store.putManifest(`1.${Math.floor(i / 10)}.${i % 10}`, { bytes, mediaType: MediaType.OciManifest, digest: digestOf(bytes) });
  }
  console.error(`seeded ${TAGS} tags of ${REPO} in prod (shared 1 MiB base + 16 KiB each)`);

  const topology = (r) => {
    const file = join(dir, `run${r}.yaml`);
    writeFileSync(file, [
      'version: 1',
      'registries:',
      `  prod: { role: prod, url: "${prod.url}", replicas: [prod-eu, prod-us] }`,
      `  prod-eu: { role: replica, url: "${eu.url}", namespace: r${r} }`,
      `  prod-us: { role: replica, url: "${us.url}", namespace: r${r} }`,
    ].join('\n'));
    return file;
  };
  const timed = async (cmd, args) => {
    const t = performance.now();
    await exec(cmd, args, { env: { ...process.env, DOCKER_CONFIG: dir }, maxBuffer: 64 << 20 });
    return performance.now() - t;
  };
  const counted = async (cmd, args) => {
    for (const p of [prod, eu, us]) p.take();
    const ms = await timed(cmd, args);
    return { ms, prod: prod.take(), eu: eu.take(), us: us.take() };
  };
  const regtopo = (...args) => counted(process.execPath, [BIN, ...args]);
  const skopeo = (dest, ns) => counted('skopeo', ['sync', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', '--preserve-digests', '--all', `${prod.host}/${REPO}`, `${dest.host}/${ns}`]);

  const rows = { replicateCold: [], replicateNoop: [], skopeoNoop: [], backupFirst: [], backupSecond: [] };
  for (let r = 0; r < RUNS; r++) {
    const file = topology(r);
    rows.replicateCold.push(await regtopo('-f', file, 'replicate', '--all'));
    rows.replicateNoop.push(await regtopo('-f', file, 'replicate', '--all'));
    // skopeo into the same, already in-sync replicas: its own no-op, one replica after the other.
    const a = await skopeo(eu, `r${r}/team`);
    const b = await skopeo(us, `r${r}/team`);
    rows.skopeoNoop.push({ ms: a.ms + b.ms, prod: sum(a.prod, b.prod), eu: a.eu, us: b.us });
    const layout = join(dir, `layout${r}`);
    rows.backupFirst.push(await regtopo('-f', file, 'backup', 'prod', '--to', `oci:${layout}`));
    rows.backupSecond.push(await regtopo('-f', file, 'backup', 'prod', '--to', `oci:${layout}`));
  }
  const median = (xs) => [...xs].sort((x, y) => x.ms - y.ms)[Math.floor(xs.length / 2)];
  const fmt = (c) => Object.entries(c ?? {}).sort().map(([k, v]) => `${k} ${v}`).join(', ') || '-';
  console.log(`\nreplicate ${TAGS} tags to 2 replicas and back prod up; median of ${RUNS} runs (whole process); requests as the registries saw them`);
  console.log('| run                         | ms     | prod requests            | prod-eu requests       | prod-us requests       |');
  console.log('|-----------------------------|--------|--------------------------|------------------------|------------------------|');
  const line = (name, m) => console.log(`| ${name.padEnd(27)} | ${m.ms.toFixed(0).padStart(6)} | ${fmt(m.prod).padEnd(24)} | ${fmt(m.eu).padEnd(22)} | ${fmt(m.us).padEnd(22)} |`);
  line('replicate, cold', median(rows.replicateCold));
  line('replicate, no-op', median(rows.replicateNoop));
  line('skopeo sync ×2, no-op', median(rows.skopeoNoop));
  line('backup, first run', median(rows.backupFirst));
  line('backup, second run', median(rows.backupSecond));
  console.log(`raw ms: ${JSON.stringify(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, v.map((x) => Math.round(x.ms))])))}`);
} finally {
  await client.close();
  await Promise.all([prod, eu, us].map((p) => p.stop()));
  await Promise.all(registries.map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
}

function sum(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
