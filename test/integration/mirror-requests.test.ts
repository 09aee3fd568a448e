import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { staticCredentials } from '../../src/auth/credential.js';
import { mirror } from '../../src/ops/mirror/run.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import { peakConcurrency, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();
const TAGS = 10;

/** Both sides behind a counting proxy, so each request the mirror sends is seen. */
describe.skipIf(skip)('mirror request counts: a cold run without waste, a no-op run of HEADs', () => {
  let upstream: TestRegistry;
  let archive: TestRegistry;
  let up: FaultProxy;
  let arch: FaultProxy;

  beforeAll(async () => {
    [upstream, archive] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    [up, arch] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(archive.url)]);
  });
  afterAll(async () => {
    await Promise.all([up?.stop(), arch?.stop()]);
    await Promise.all([upstream?.stop(), archive?.stop()]);
  });
  beforeEach(() => {
    up.reset();
    arch.reset();
  });

  const topology = (repo: string): Topology => requireValidTopology(parseTopology(stringify({
    version: 1,
    registries: { archive: { role: 'archive', url: arch.url } },
    upstreams: { dockerhub: { url: up.url } },
    mirrors: { rules: [{ name: 'r', repository: repo, target: 'archive', include: ['^v'] }] },
  }), 'mirror-requests.yaml', { environ: {} }));
  const run = (config: Topology, jobs?: number) => mirror(config, { clientOptions: { fallbackCredentials: staticCredentials({}) }, ...(jobs && { jobs }) });
  const manifestRequests = (p: FaultProxy, method: string, repo: string) =>
    p.requests.filter((r) => r.method === method && r.path.startsWith(`/v2/${repo}/manifests/`)).length;

  it(`cold run of ${TAGS} tags sharing a base layer: ≤ 2 manifest requests per tag upstream, the base layer uploaded once; a no-op rerun is 1 HEAD per tag per side`, async () => {
    const repo = uniqueRepo('library');
    const seed = `base-${Date.now()}`;
    const images = Array.from({ length: TAGS }, (_, i) => buildImage({ seed, layers: [256 * 1024, 1000 + i], labels: { tag: String(i) } }));
    const base = images[0]!.layers[0]!.digest;
    expect(new Set(images.map((b) => b.layers[0]!.digest)).size).toBe(1);
    for (const [i, built] of images.entries()) await pushImage(upstream.url, repo, `v${i}`, built);
    const config = topology(repo);
    up.reset();

    const cold = await run(config);
    expect(cold.outcome).toBe('ok');
    expect(cold.tags.every((t) => t.action === 'copied')).toBe(true);
    for (const [i, built] of images.entries()) expect((await rawGetManifest(archive.url, repo, `v${i}`)).digest).toBe(built.digest);
    const upstreamManifest = manifestRequests(up, 'HEAD', repo) + manifestRequests(up, 'GET', repo);
    expect(upstreamManifest).toBeLessThanOrEqual(2 * TAGS);
    expect(up.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${base}`))).toHaveLength(1);
    const baseUploads = arch.requests.filter((r) => r.method === 'PUT' && r.query.includes(encodeURIComponent(base)));
    expect(baseUploads).toHaveLength(1);
    // The Archive repository is probed once for the run (its tag list), not once per tag.
    expect(arch.requests.filter((r) => r.path === `/v2/${repo}/tags/list`)).toHaveLength(1);
    // Upstream is listed once for the rule: the referrer walk of each copied tag reuses that list.
    expect(up.requests.filter((r) => r.path === `/v2/${repo}/tags/list`)).toHaveLength(1);
    // Per tag on the Archive: the mirror's tag HEAD and the copy's HEAD of the digest (an alias tag may hold it), nothing more.
    expect(manifestRequests(arch, 'HEAD', repo)).toBeLessThanOrEqual(2 * TAGS);
    // The referrer walk after each copy takes the subjects from the bytes the copy wrote, not a GET.
    expect(manifestRequests(arch, 'GET', repo)).toBe(0);

    up.reset();
    arch.reset();
    // Tag lists answered after 100 ms, as across a link: two listed one after the other cannot overlap.
    for (const p of [up, arch]) p.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'delay', ms: 100 } });
    const noop = await run(config);
    expect(noop.tags.every((t) => t.action === 'skipped')).toBe(true);
    // The upstream and the Archive are listed together: across a WAN, one round trip instead of two.
    const [upList, archList] = [up, arch].map((p) => p.requests.find((r) => r.path === `/v2/${repo}/tags/list`)!);
    expect(upList!.startedAt).toBeLessThan(archList!.endedAt!);
    expect(archList!.startedAt).toBeLessThan(upList!.endedAt!);
    expect(manifestRequests(up, 'HEAD', repo)).toBe(TAGS);
    expect(manifestRequests(up, 'GET', repo)).toBe(0);
    expect(manifestRequests(arch, 'HEAD', repo)).toBe(TAGS);
    expect(manifestRequests(arch, 'GET', repo)).toBe(0);
  });

  it('asks the upstream referrers API once per rule: a registry that answers 404 (Distribution 2.8) is not asked again', async () => {
    const repo = uniqueRepo('library');
    const images = Array.from({ length: 4 }, (_, i) => buildImage({ layers: [2000 + i] }));
    for (const [i, built] of images.entries()) await pushImage(upstream.url, repo, `v${i}`, built);
    up.reset();
    // One tag at a time, so every copy after the first knows what the first learnt.
    const cold = await run(topology(repo), 1);
    expect(cold.tags.map((t) => t.action)).toEqual(['copied', 'copied', 'copied', 'copied']);
    const asked = up.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/v2/${repo}/referrers/`));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.status).toBe(404);
    for (const [i, built] of images.entries()) expect((await rawGetManifest(archive.url, repo, `v${i}`)).digest).toBe(built.digest);
  });

  it('an archive with limits.concurrency 2 never sees more than 2 tag checks at once; without a limit, up to 16 run together', async () => {
    const repo = uniqueRepo('library');
    const images = Array.from({ length: 20 }, (_, i) => buildImage({ layers: [3000 + i] }));
    for (const [i, built] of images.entries()) await pushImage(upstream.url, repo, `v${i}`, built);
    // The archive paths are `${repo}-2` and `${repo}-free`.
    const heads = (r: { method: string; path: string }) => r.method === 'HEAD' && r.path.startsWith(`/v2/${repo}-`) && r.path.includes('/manifests/');
    const limited = (limit?: number) => requireValidTopology(parseTopology(stringify({
      version: 1,
      registries: { archive: { role: 'archive', url: arch.url, ...(limit && { limits: { concurrency: limit } }) } },
      upstreams: { dockerhub: { url: up.url } },
      mirrors: { rules: [{ name: 'r', repository: repo, target: 'archive', path: `${repo}-${limit ?? 'free'}`, include: ['^v'] }] },
    }), 'mirror-limits.yaml', { environ: {} }));
    for (const limit of [2, undefined]) {
      arch.reset();
      // HEADs answered after 50 ms: checks sent together overlap, checks sent in turn cannot.
      arch.addRule({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'delay', ms: 50 } });
      const r = await run(limited(limit));
      expect(r.tags.filter((t) => t.action === 'copied')).toHaveLength(images.length);
      const peak = peakConcurrency(arch.requests, heads);
      if (limit) expect(peak).toBeLessThanOrEqual(limit);
      else expect(peak).toBeGreaterThan(8);
    }
  });
});
