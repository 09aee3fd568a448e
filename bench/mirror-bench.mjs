#!/usr/bin/env node
/**
 * Mirror benchmark: N tags (default 50) on a local registry standing in for Docker Hub, mirrored
 * into a local archive by `regtopo mirror` and by `skopeo sync --src docker --dest docker` of the
 * same repository. Cold = empty target repository; no-op = the same run again, nothing changed.
 * Median of R runs (default 3) each. Needs `npm run build`, docker-registry and skopeo.
 *
 *   node bench/mirror-bench.mjs [--tags 50] [--runs 3]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { RegistryClient, startLocalRegistry, digestOf, MediaType, staticCredentials } from '../dist/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const TAGS = arg('--tags', 50);
const RUNS = arg('--runs', 3);
const BIN = join(import.meta.dirname, '../bin/regtopo.js');
const REPO = 'library/benchimg';

const upstream = await startLocalRegistry({});
const archive = await startLocalRegistry({});
const dir = mkdtempSync(join(tmpdir(), 'regtopo-mirror-bench-'));
const client = new RegistryClient({ credentials: staticCredentials({}) });

try {
  // One shared 1 MiB base layer plus a 64 KiB layer of its own per tag: a typical tag family.
  const store = client.repository({ registry: upstream.host, repository: REPO });
  const put = async (bytes, mediaType) => {
    const desc = { mediaType, digest: digestOf(bytes), size: bytes.length };
    await store.putBlob(desc, async () => Readable.from([bytes]));
    return desc;
  };
  const base = await put(randomBytes(1 << 20), MediaType.OciLayerGzip);
  for (let i = 0; i < TAGS; i++) {
    const own = await put(randomBytes(64 << 10), MediaType.OciLayerGzip);
    const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [base.digest, own.digest] }, config: { Labels: { n: String(i) } } })), MediaType.OciConfig);
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [base, own] }));
    await store.putManifest(`1.${Math.floor(i / 10)}.${i % 10}`, { bytes, mediaType: MediaType.OciManifest, digest: digestOf(bytes) });
  }
  console.error(`seeded ${TAGS} tags of ${upstream.host}/${REPO} (shared 1 MiB base + 64 KiB each)`);

  const topology = (path) => {
    const file = join(dir, `${path.replaceAll('/', '_')}.yaml`);
    writeFileSync(file, [
      'version: 1',
      `registries: { archive: { role: archive, url: "${archive.url}" } }`,
      `upstreams: { dockerhub: { url: "${upstream.url}" } }`,
      `mirrors: { rules: [ { name: bench, repository: ${REPO}, target: archive, path: ${path} } ] }`,
    ].join('\n'));
    return file;
  };
  // Asynchronous on purpose: the registries are children of this process and must keep being served.
  const time = async (cmd, args) => {
    const t = performance.now();
    await promisify(execFile)(cmd, args, { env: { ...process.env, DOCKER_CONFIG: dir }, maxBuffer: 64 << 20 });
    return performance.now() - t;
  };
  const regtopo = (file) => time(process.execPath, [BIN, '-f', file, 'mirror']);
  const skopeo = (dest) => time('skopeo', ['sync', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', '--preserve-digests', '--all', `${upstream.host}/${REPO}`, `${archive.host}/${dest}`]);

  const results = { regtopoCold: [], regtopoNoop: [], skopeoCold: [], skopeoNoop: [] };
  for (let r = 0; r < RUNS; r++) {
    const file = topology(`rt${r}/benchimg`);
    results.regtopoCold.push(await regtopo(file));
    results.regtopoNoop.push(await regtopo(file));
    results.skopeoCold.push(await skopeo(`sk${r}`));
    results.skopeoNoop.push(await skopeo(`sk${r}`));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const row = (name, a, b) => `| ${name.padEnd(14)} | ${a.toFixed(0).padStart(10)} | ${b.toFixed(0).padStart(10)} | ${(a / b).toFixed(3).padStart(6)} |`;
  console.log(`\nmirror of ${TAGS} tags, median of ${RUNS} runs (ms, whole process)`);
  console.log('| run            | regtopo ms | skopeo ms  | ratio  |');
  console.log('|----------------|------------|------------|--------|');
  console.log(row('cold', m.regtopoCold, m.skopeoCold));
  console.log(row('no-op', m.regtopoNoop, m.skopeoNoop));
  console.log(`\nno-op ratio regtopo/skopeo: ${(m.regtopoNoop / m.skopeoNoop).toFixed(3)} (target ≤ 0.1)`);
  console.log(`raw: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((x) => Math.round(x))])))}`);
} finally {
  await client.close();
  await Promise.all([upstream.stop(), archive.stop()]);
}
