/**
 * The mirroring part of `regtopo demo`: seeds the local Docker Hub stand-in (the `test`
 * environment's `dockerhub`) with small generated "official images" (nothing downloaded), mirrors
 * them into the archive with the example's own rules, then mirrors again to show that an unchanged
 * upstream costs HEADs only. The example pins nginx 1.27.4 to the real Docker Hub digest, which the
 * stand-in cannot hold: the demo pins the digest it seeded instead, and says so.
 */
import { pushDemoImage } from './demo-image.js';
import { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { formatReport, type MirrorReport } from '../ops/mirror/report.js';
import { mirror } from '../ops/mirror/run.js';
import type { DemoTopology } from './demo-topology.js';

export interface MirrorDemoContext {
  /** The demo topology, its archive and Docker Hub stand-in running. */
  demo: DemoTopology;
  /** A client that reaches both (e.g. clientForTopology(config)). */
  client: RegistryClient;
  /** Narration, one line at a time; default silent. */
  log?: (line: string) => void;
}

export interface MirrorDemoResult {
  seeded: Array<{ ref: string; digest: string }>;
  first: MirrorReport;
  second: MirrorReport;
}

const SEED: Array<{ repository: string; tag: string; platforms: string[] }> = [
  { repository: 'library/alpine', tag: '3.19', platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'] },
  { repository: 'library/alpine', tag: '3.20', platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'] },
  { repository: 'library/nginx', tag: '1.24.0', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.25.5', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.26.3', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.27.3', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.27.4', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.27.4-alpine', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: 'latest', platforms: ['linux/amd64'] },
];

const PIN = /('1\.27\.4': )sha256:[0-9a-f]{64}/;

export async function runMirrorDemo(ctx: MirrorDemoContext): Promise<MirrorDemoResult> {
  const log = ctx.log ?? (() => undefined);
  const { demo } = ctx;
  const upstream = demo.config.upstreams.dockerhub;
  if (!upstream) throw new Error('mirror demo: the topology has no upstream "dockerhub"');

  const seeded: MirrorDemoResult['seeded'] = [];
  for (const s of SEED) {
    const ref = Reference.of(upstream.host, s.repository, s.tag);
    const digest = await pushDemoImage(ctx.client.repository(ref), s.tag, { platforms: s.platforms, layersPerPlatform: 1, layerBytes: 16 * 1024, version: s.tag });
    seeded.push({ ref: ref.toString(), digest });
  }
  log(`# seeded the dockerhub stand-in (${upstream.url}) with ${seeded.length} tags: ${SEED.map((s) => `${s.repository.replace(/^library\//, '')}:${s.tag}`).join(', ')}`);
  const pinned = seeded.find((s) => s.ref.endsWith('/library/nginx:1.27.4'))!.digest;
  if (PIN.test(demo.text)) {
    await demo.rewrite(demo.text.replace(PIN, `$1${pinned}`));
    log(`# the file pins nginx 1.27.4 to Docker Hub's digest; the stand-in holds a generated image, so ${demo.file} now pins ${pinned.slice(0, 19)}…`);
  }
  log('# rules (registries.yaml): alpine 3.19 + 3.20 (linux/amd64 + linux/arm64 only); nginx: semver >=1.25.0 <2.0.0, newest 3, no -alpine, 1.27.4 pinned');

  log(demo.command(['mirror']));
  const first = await mirror(demo.config, { client: ctx.client });
  for (const line of formatReport(first)) log(`  ${line}`);
  log(demo.command(['mirror']));
  const second = await mirror(demo.config, { client: ctx.client });
  log(`mirror again (nothing changed upstream): ${second.summary.skipped} of ${second.summary.tags} tags skipped after HEADs only, ${second.summary.bytes} bytes, ${second.summary.durationMs} ms`);
  return { seeded, first, second };
}
