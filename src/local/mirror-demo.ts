/**
 * The mirroring part of `regtopo demo`: seeds the local Docker Hub stand-in with two small
 * "official images" (generated, nothing downloaded), mirrors them into the Archive, then mirrors
 * again to show that an unchanged upstream costs HEADs only. The caller starts the registries the
 * topology names (the archive and the `dockerhub` upstream of the `test` environment).
 */
import { pushDemoImage } from './demo-image.js';
import { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { MirrorRuleSpec, Topology } from '../topology/model.js';
import { formatReport, type MirrorReport } from '../ops/mirror/report.js';
import { mirror } from '../ops/mirror/run.js';

export interface MirrorDemoContext {
  /** The topology whose archive and upstream are running (e.g. registries.yaml with --env test). */
  config: Topology;
  /** A client that reaches both (e.g. clientForTopology(config)). */
  client: RegistryClient;
  /** Narration, one line at a time; default silent. */
  log?: (line: string) => void;
  /** Archive registry name; default the topology's first archive. */
  archive?: string;
  /** Upstream name; default dockerhub. */
  upstream?: string;
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
  { repository: 'library/nginx', tag: '1.26.3', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.27.4', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: '1.27.4-alpine', platforms: ['linux/amd64'] },
  { repository: 'library/nginx', tag: 'latest', platforms: ['linux/amd64'] },
];

export async function runMirrorDemo(ctx: MirrorDemoContext): Promise<MirrorDemoResult> {
  const log = ctx.log ?? (() => undefined);
  const archive = ctx.archive ?? Object.values(ctx.config.registries).find((r) => r.role === 'archive')?.name;
  if (!archive) throw new Error('mirror demo: the topology has no archive registry');
  const upstreamName = ctx.upstream ?? 'dockerhub';
  const upstream = ctx.config.upstreams[upstreamName];
  if (!upstream) throw new Error(`mirror demo: the topology has no upstream "${upstreamName}"`);

  const seeded: MirrorDemoResult['seeded'] = [];
  for (const s of SEED) {
    const ref = Reference.of(upstream.host, s.repository, s.tag);
    const digest = await pushDemoImage(ctx.client.repository(ref), s.tag, { platforms: s.platforms, layersPerPlatform: 1, layerBytes: 16 * 1024, version: s.tag });
    seeded.push({ ref: ref.toString(), digest });
  }
  log(`seeded the ${upstreamName} stand-in (${upstream.url}) with ${seeded.length} tags: ${SEED.map((s) => `${s.repository.replace(/^library\//, '')}:${s.tag}`).join(', ')}`);

  const base = { upstream: upstreamName, target: archive, include: [], exclude: [], tags: [], platforms: [], pins: {}, freeze: false };
  const rules: MirrorRuleSpec[] = [
    { ...base, name: 'alpine', repository: 'library/alpine', path: 'library/alpine', tags: ['3.19', '3.20'], platforms: ['linux/amd64', 'linux/arm64'] },
    { ...base, name: 'nginx', repository: 'library/nginx', path: 'library/nginx', semver: '>=1.25.0 <2.0.0', newest: 2, exclude: ['-alpine$'] },
  ];
  const config: Topology = { ...ctx.config, mirrors: { rules } };
  log('rules: alpine 3.19 + 3.20 (linux/amd64 + linux/arm64 only); nginx: semver >=1.25.0 <2.0.0, newest 2, no -alpine');

  const first = await mirror(config, { client: ctx.client });
  for (const line of formatReport(first)) log(`  ${line}`);
  const second = await mirror(config, { client: ctx.client });
  log(`mirror again (nothing changed upstream): ${second.summary.skipped} of ${second.summary.tags} tags skipped after HEADs only, ${second.summary.bytes} bytes, ${second.summary.durationMs} ms`);
  return { seeded, first, second };
}
