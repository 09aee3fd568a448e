/**
 * What mirror tests share: an upstream registry standing in for Docker Hub behind the fault proxy
 * (which counts manifest GETs vs HEADs and adds ratelimit headers), an archive registry, and a
 * topology naming both. Seeding and deletion go to the upstream directly, so the proxy's counts show
 * only what regtopo did.
 */
import { request } from 'undici';
import { stringify } from 'yaml';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import type { MirrorRule } from '../../src/topology/schema-mirrors.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { buildImage, pushImage, type Built } from './images.js';
import { startTestRegistry, type TestRegistry } from './registry.js';

export interface MirrorEnv {
  upstream: TestRegistry;
  archive: TestRegistry;
  proxy: FaultProxy;
  /** The topology file text for these rules (upstream `dockerhub` = the proxy). */
  yaml(rules: Array<Partial<MirrorRule> & { name: string; repository: string }>): string;
  topology(rules: Array<Partial<MirrorRule> & { name: string; repository: string }>): Topology;
  /** Pushes to the upstream directly; returns the digest. */
  seed(repo: string, tag: string, built?: Built): Promise<string>;
  deleteUpstream(repo: string, digest: string): Promise<void>;
  manifestGets(): number;
  manifestHeads(): number;
  stop(): Promise<void>;
}

const MANIFESTS = /\/manifests\//;

export async function startMirrorEnv(): Promise<MirrorEnv> {
  const [upstream, archive] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
  const proxy = await startFaultProxy(upstream.url);
  const yaml: MirrorEnv['yaml'] = (rules) =>
    stringify({
      version: 1,
      registries: { archive: { role: 'archive', url: archive.url } },
      upstreams: { dockerhub: { url: proxy.url } },
      mirrors: { rules: rules.map((r) => ({ target: 'archive', ...r })) },
    });
  return {
    upstream, archive, proxy, yaml,
    topology: (rules) => requireValidTopology(parseTopology(yaml(rules), 'mirror-test.yaml', { environ: {} })),
    seed: (repo, tag, built = buildImage({ layers: [512] })) => pushImage(upstream.url, repo, tag, built),
    async deleteUpstream(repo, digest) {
      const res = await request(`${upstream.url}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
      await res.body.dump();
      if (res.statusCode !== 202) throw new Error(`delete ${repo}@${digest}: ${res.statusCode}`);
    },
    manifestGets: () => proxy.count('GET', MANIFESTS),
    manifestHeads: () => proxy.count('HEAD', MANIFESTS),
    async stop() {
      await proxy.stop();
      await Promise.all([upstream.stop(), archive.stop()]);
    },
  };
}
