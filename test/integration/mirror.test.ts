import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { acquireLock, DEFAULT_LOCK_STALE_MS } from '../../src/ops/mirror/lock.js';
import { mirror, SOURCE_DIGEST_ANNOTATION, type MirrorOptions } from '../../src/ops/mirror/run.js';
import type { MirrorReport } from '../../src/ops/mirror/report.js';
import type { Topology } from '../../src/topology/model.js';
import { buildImage, buildIndex, buildZeroLayerImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { startMirrorEnv, type MirrorEnv } from '../support/mirror-env.js';
import { registrySkipReason } from '../support/registry.js';

const skip = registrySkipReason();

describe.skipIf(skip)('mirror: upstream stand-in behind the accounting proxy → archive', () => {
  let env: MirrorEnv;
  const run = (config: Topology, options: MirrorOptions = {}): Promise<MirrorReport> =>
    mirror(config, { clientOptions: { fallbackCredentials: staticCredentials({}) }, ...options });
  const byTag = (r: MirrorReport) => Object.fromEntries(r.tags.map((t) => [t.tag, t]));
  const archiveDigest = async (repo: string, tag: string) => (await rawGetManifest(env.archive.url, repo, tag)).digest;

  beforeAll(async () => {
    env = await startMirrorEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(() => env.proxy.reset());

  it('copies on the first run; a no-op second run makes HEADs only, zero manifest GETs upstream', async () => {
    const repo = uniqueRepo('library');
    const index = buildIndex([buildImage({ platform: { os: 'linux', architecture: 'amd64' } }), buildImage({ platform: { os: 'linux', architecture: 'arm64' } })]);
    const d1 = await env.seed(repo, '1.0', index);
    const d2 = await env.seed(repo, '2.0');
    const config = env.topology([{ name: 'r', repository: repo, tags: ['1.0', '2.0'] }]);

    const first = await run(config);
    expect(first.outcome).toBe('ok');
    expect(first.tags.map((t) => [t.tag, t.action])).toEqual([['1.0', 'copied'], ['2.0', 'copied']]);
    expect(byTag(first)['1.0']!.archiveDigest).toBe(d1);
    expect(await archiveDigest(repo, '2.0')).toBe(d2);
    expect(first.summary.bytes).toBeGreaterThan(0);

    env.proxy.reset();
    const second = await run(config);
    expect(second.tags.map((t) => t.action)).toEqual(['skipped', 'skipped']);
    expect(second.summary.bytes).toBe(0);
    expect(env.manifestGets()).toBe(0);
    expect(env.manifestHeads()).toBe(2);
    expect(env.proxy.requests.filter((r) => !/\/manifests\//.test(r.path) && r.path !== '/v2/')).toEqual([]);
  });

  it('upstream moved a tag: the old digest stays under a history tag, then the tag moves', async () => {
    const repo = uniqueRepo('library');
    const old = await env.seed(repo, 'stable');
    const config = env.topology([{ name: 'r', repository: repo, tags: ['stable'] }]);
    await run(config);
    const now = await env.seed(repo, 'stable', buildImage({ layers: [700] }));

    const r = await run(config, { now: () => new Date('2025-03-04T10:00:00Z') });
    const t = byTag(r).stable!;
    expect(t.action).toBe('updated');
    expect(t.previousDigest).toBe(old);
    expect(t.historyTag).toBe(`stable-rt-20250304-${old.slice(7, 19)}`);
    expect(await archiveDigest(repo, 'stable')).toBe(now);
    expect(await archiveDigest(repo, t.historyTag!)).toBe(old);
  });

  it('upstream deleted a tag: the archive keeps its copy (explicit and pattern rules)', async () => {
    const repo = uniqueRepo('library');
    const gone = await env.seed(repo, 'v-gone');
    await env.seed(repo, 'v-kept');
    const explicit = env.topology([{ name: 'e', repository: repo, tags: ['v-gone'] }]);
    const pattern = env.topology([{ name: 'p', repository: repo, include: ['^v-'] }]);
    await run(pattern);
    await env.deleteUpstream(repo, gone);

    const a = await run(explicit);
    expect(a.outcome).toBe('ok');
    expect(byTag(a)['v-gone']).toMatchObject({ action: 'kept-deleted-upstream', archiveDigest: gone });
    const b = await run(pattern);
    expect(b.outcome).toBe('ok');
    expect(byTag(b)['v-gone']).toMatchObject({ action: 'kept-deleted-upstream', archiveDigest: gone });
    expect(byTag(b)['v-kept']!.action).toBe('skipped');
    expect(await archiveDigest(repo, 'v-gone')).toBe(gone);
  });

  it('newest N: a tag that falls out is kept and reported, as is one upstream later deletes', async () => {
    const repo = uniqueRepo('library');
    const oldest = await env.seed(repo, '1.0.0');
    await env.seed(repo, '1.1.0');
    const config = env.topology([{ name: 'n', repository: repo, newest: 2 }]);
    const first = await run(config);
    expect(Object.keys(byTag(first)).sort()).toEqual(['1.0.0', '1.1.0']);

    await env.seed(repo, '1.2.0');
    const second = await run(config);
    expect(second.outcome).toBe('ok');
    expect(byTag(second)['1.2.0']!.action).toBe('copied');
    expect(byTag(second)['1.1.0']!.action).toBe('skipped');
    expect(byTag(second)['1.0.0']).toMatchObject({ action: 'kept-unselected', archiveDigest: oldest });
    expect(second.summary['kept-unselected']).toBe(1);
    expect(await archiveDigest(repo, '1.0.0')).toBe(oldest);

    await env.deleteUpstream(repo, oldest);
    const third = await run(config);
    expect(byTag(third)['1.0.0']).toMatchObject({ action: 'kept-deleted-upstream', archiveDigest: oldest });
    expect(await archiveDigest(repo, '1.0.0')).toBe(oldest);
  });

  it('a pin holds the tag at its digest whatever upstream says', async () => {
    const repo = uniqueRepo('library');
    const pinned = await env.seed(repo, 'p');
    const moved = await env.seed(repo, 'p', buildImage({ layers: [900] }));
    expect(moved).not.toBe(pinned);
    const config = env.topology([{ name: 'r', repository: repo, pins: { p: pinned } }]);
    const r = await run(config);
    expect(byTag(r).p).toMatchObject({ action: 'pinned', archiveDigest: pinned });
    expect(await archiveDigest(repo, 'p')).toBe(pinned);
    env.proxy.reset();
    const again = await run(config);
    expect(byTag(again).p!.action).toBe('pinned');
    expect(env.proxy.requests.filter((q) => q.path !== '/v2/')).toEqual([]); // the archive alone answers
  });

  it('freeze: a tag once archived never moves', async () => {
    const repo = uniqueRepo('library');
    const first = await env.seed(repo, 'f');
    const config = env.topology([{ name: 'r', repository: repo, tags: ['f'], freeze: true }]);
    await run(config);
    const next = await env.seed(repo, 'f', buildImage({ layers: [333] }));
    const r = await run(config);
    expect(byTag(r).f).toMatchObject({ action: 'frozen', upstreamDigest: next, archiveDigest: first });
    expect(await archiveDigest(repo, 'f')).toBe(first);
  });

  it('platform subset: a valid reduced index carrying the upstream digest; re-run skips without upstream GETs', async () => {
    const repo = uniqueRepo('library');
    const amd = buildImage({ platform: { os: 'linux', architecture: 'amd64' } });
    const arm = buildImage({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const s390 = buildImage({ platform: { os: 'linux', architecture: 's390x' } });
    const up = await env.seed(repo, '3.20', buildIndex([amd, arm, s390]));
    const config = env.topology([{ name: 'r', repository: repo, tags: ['3.20'], platforms: ['linux/amd64', 'linux/arm64'] }]);
    const r = await run(config);
    const t = byTag(r)['3.20']!;
    expect(t.action).toBe('copied');
    expect(t.upstreamDigest).toBe(up);
    expect(t.archiveDigest).not.toBe(up);

    const served = await rawGetManifest(env.archive.url, repo, '3.20');
    expect(served.digest).toBe(t.archiveDigest);
    const doc = JSON.parse(served.bytes.toString()) as { mediaType: string; manifests: Array<{ digest: string }>; annotations: Record<string, string> };
    expect(doc.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(doc.manifests.map((m) => m.digest)).toEqual([amd.digest, arm.digest]);
    expect(doc.annotations[SOURCE_DIGEST_ANNOTATION]).toBe(up);
    for (const child of [amd, arm]) expect((await rawGetManifest(env.archive.url, repo, child.digest)).status).toBe(200);
    expect((await rawGetManifest(env.archive.url, repo, s390.digest)).status).toBe(404);

    env.proxy.reset();
    const again = await run(config);
    expect(byTag(again)['3.20']!.action).toBe('skipped');
    expect(env.manifestGets()).toBe(0);
  });

  it('stops cleanly before crossing the rate-limit reserve and reports what is left', async () => {
    const repo = uniqueRepo('library');
    const tags = ['t1', 't2', 't3', 't4', 't5'];
    for (const t of tags) await env.seed(repo, t, buildZeroLayerImage('oci', `${repo}/${t}`));
    env.proxy.rateLimit = { limit: 100, remaining: 13 };
    const r = await run(env.topology([{ name: 'r', repository: repo, tags }]), { reserve: 10, jobs: 1 });
    expect(r.outcome).toBe('rate-reserve');
    expect(r.tags.map((t) => t.action)).toEqual(['copied', 'copied', 'copied']);
    expect(env.manifestGets()).toBe(3);
    expect(env.proxy.rateLimit.remaining).toBe(10);
    expect(r.stopped).toMatchObject({ reason: 'rate-reserve', remaining: [{ rule: 'r', tags: ['t4', 't5'] }] });
    expect(r.rateLimits[0]).toMatchObject({ host: env.proxy.host, limit: 100, remaining: 10, windowSeconds: 21600 });
  });

  it('parallel tags never pull past the reserve: each GET counts as it is sent', async () => {
    const repo = uniqueRepo('library');
    const tags = Array.from({ length: 12 }, (_, i) => `p${i}`);
    for (const t of tags) await env.seed(repo, t, buildZeroLayerImage('oci', `${repo}/${t}`));
    env.proxy.rateLimit = { limit: 100, remaining: 14 };
    const r = await run(env.topology([{ name: 'r', repository: repo, tags }]), { reserve: 10, jobs: 8 });
    expect(r.outcome).toBe('rate-reserve');
    // Responses overtake each other, so the count is conservative: it may stop a pull early, never late.
    expect(env.manifestGets()).toBeGreaterThanOrEqual(1);
    expect(env.manifestGets()).toBeLessThanOrEqual(4);
    expect(env.proxy.rateLimit.remaining).toBeGreaterThanOrEqual(10);
    expect(r.tags.filter((t) => t.action === 'copied')).toHaveLength(env.manifestGets());
    expect(r.tags.filter((t) => t.action === 'failed')).toEqual([]);
    const left = r.stopped!.remaining.flatMap((x) => x.tags ?? []);
    expect([...left, ...r.tags.map((t) => t.tag)].sort()).toEqual([...tags].sort());
  });

  it('429: backs off honouring Retry-After, then stops rather than hammering', async () => {
    const repo = uniqueRepo('library');
    for (const t of ['a', 'b', 'c']) await env.seed(repo, t, buildZeroLayerImage('oci', `${repo}/${t}`));
    env.proxy.addRule({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 429, retryAfter: 1 } });
    const started = Date.now();
    const r = await run(env.topology([{ name: 'r', repository: repo, tags: ['a', 'b', 'c'] }]), {
      jobs: 1, clientOptions: { fallbackCredentials: staticCredentials({}), retry: { attempts: 3 } },
    });
    expect(r.outcome).toBe('rate-limited');
    expect(byTag(r).a).toMatchObject({ action: 'failed', error: { code: 'E_RATE_LIMITED' } });
    expect(r.stopped).toMatchObject({ reason: 'rate-limited', remaining: [{ rule: 'r', tags: ['b', 'c'] }] });
    expect(env.manifestGets()).toBe(3); // one request, three attempts, then stop
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // two Retry-After: 1 waits
  });

  it('keeps going past a failing tag; the outcome says partial', async () => {
    const repo = uniqueRepo('library');
    await env.seed(repo, 'ok');
    const r = await run(env.topology([{ name: 'r', repository: repo, tags: ['missing', 'ok'] }]));
    expect(r.outcome).toBe('partial');
    expect(byTag(r).missing).toMatchObject({ action: 'failed', error: { code: 'E_NOT_FOUND' } });
    expect(byTag(r).ok!.action).toBe('copied');
  });

  it('a run whose signal fires mid-way is E_INTERRUPTED, releases its lock and starts no further tag', async () => {
    const repo = uniqueRepo('library');
    await env.seed(repo, 'a');
    await env.seed(repo, 'b');
    const file = join(mkdtempSync(join(tmpdir(), 'regtopo-lock-')), 'mirror.lock');
    const controller = new AbortController();
    await expect(run(env.topology([{ name: 'r', repository: repo, tags: ['a', 'b'] }]), {
      jobs: 1, lockFile: file, signal: controller.signal, onTag: () => controller.abort(),
    })).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(existsSync(file)).toBe(false);
    // The first tag finished before the abort; the second never started.
    expect((await rawGetManifest(env.archive.url, repo, 'b')).status).toBe(404);
  });

  it('a held lock stops a second run at once; release frees it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-lock-'));
    const file = join(dir, 'mirror.lock');
    const config = env.topology([]);
    const held = acquireLock(file);
    try {
      await expect(run(config, { lockFile: file })).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) });
    } finally {
      held.release();
    }
    expect(existsSync(file)).toBe(false);
    expect((await run(config, { lockFile: file })).outcome).toBe('ok');
  });

  it("a stale lock is taken over whoever wrote it: another host's pod, this very PID after a restart, an empty file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-lock-'));
    const config = env.topology([]);
    const host = (await import('node:os')).hostname();
    const leftovers = [
      JSON.stringify({ pid: 1, host: 'mirror-cron-29001-7hq2x', startedAt: 'yesterday' }),
      JSON.stringify({ pid: process.pid, host, startedAt: 'before the restart' }),
      '',
    ];
    for (const [i, content] of leftovers.entries()) {
      const file = join(dir, `mirror-${i}.lock`);
      writeFileSync(file, content);
      // Fresh, it is held (its heartbeat says a run may be alive)...
      await expect(run(config, { lockFile: file })).rejects.toMatchObject({ code: 'E_LOCKED' });
      // ...once its heartbeat is older than the stale timeout, it is taken over and released after the run.
      const then = Date.now() / 1000 - DEFAULT_LOCK_STALE_MS / 1000 - 5;
      utimesSync(file, then, then);
      const r = await run(config, { lockFile: file });
      expect(r.outcome).toBe('ok');
      expect(existsSync(file)).toBe(false);
    }
  });

  it('shards 1/3, 2/3, 3/3 cover every tag exactly once', async () => {
    const repo = uniqueRepo('library');
    const tags = Array.from({ length: 15 }, (_, i) => `s${i}`);
    for (const t of tags) await env.seed(repo, t, buildZeroLayerImage('oci', `${repo}/${t}`));
    const config = env.topology([{ name: 'r', repository: repo, include: ['^s'] }]);
    const seen: string[] = [];
    for (const shard of ['1/3', '2/3', '3/3']) {
      const r = await run(config, { shard });
      expect(r.outcome).toBe('ok');
      expect(r.tags.every((t) => t.action === 'copied')).toBe(true);
      expect(r.tags.length).toBeLessThan(tags.length);
      seen.push(...r.tags.map((t) => t.tag));
    }
    expect(seen.sort()).toEqual([...tags].sort());
    const after = await run(config);
    expect(after.summary.skipped).toBe(tags.length);
  });

  it('dry run decides but writes and pulls nothing', async () => {
    const repo = uniqueRepo('library');
    await env.seed(repo, 'x');
    const r = await run(env.topology([{ name: 'r', repository: repo, tags: ['x'] }]), { dryRun: true });
    expect(r.tags[0]).toMatchObject({ action: 'copied', dryRun: true });
    expect(env.manifestGets()).toBe(0);
    expect((await rawGetManifest(env.archive.url, repo, 'x')).status).toBe(404);
  });
});
