/**
 * The everyday promotion on an ephemeral CI runner: prod already holds the layers in another
 * image's repository, the runner has no blob-location cache, and `regtopo promote` still sends no
 * blob byte: the topology's candidates (the other images promoted into the same registry) are
 * mounted from.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../support/fault-proxy.js';
import { allBlobs, buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

/** Uploads of these blobs (the promotion also writes its own record, whose blobs are new). */
const uploadsOf = (reqs: readonly ProxiedRequest[], digests: readonly string[]) =>
  reqs.filter((r) => (r.method === 'PUT' || r.method === 'PATCH') && r.path.includes('/blobs/uploads/') && digests.includes(new URLSearchParams(r.query).get('digest') ?? ''));
const mountsFrom = (reqs: readonly ProxiedRequest[], from: string) =>
  reqs.filter((r) => r.method === 'POST' && new URLSearchParams(r.query).get('mount') !== null && new URLSearchParams(r.query).get('from') === from);

describe.skipIf(skip)('promote mounts from the topology\'s other repositories on prod', () => {
  let ci: TestRegistry;
  let prod: TestRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    [ci, prod] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    proxy = await startFaultProxy(prod.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([ci?.stop(), prod?.stop()]);
  });

  it('with an empty cache, the second image\'s promotion mounts every blob from the first image\'s prod repository', async () => {
    const repos = { app: uniqueRepo('app'), debug: uniqueRepo('app-debug') };
    const image = buildImage({ layers: [400_000, 250_000, 3000] });
    await pushImage(ci.url, repos.app, 'latest', image);
    await pushImage(ci.url, repos.debug, 'latest', image);
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-promote-mounts-'));
    const file = join(dir, 'registries.yaml');
    writeFileSync(file, `version: 1
registries:
  ci: {role: ci, url: ${ci.url}}
  prod: {role: prod, url: ${proxy.url}}
promotion:
  images:
    - {name: app, repository: ${repos.app}, source: ci}
    - {name: app-debug, repository: ${repos.debug}, source: ci}
  stages:
    - {name: prod, from: ci, to: prod, tags: [latest]}
`);
    // Each run on a runner of its own: a fresh, empty XDG cache, so only the topology can tell.
    const runner = () => ({ XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-runner-cache-')) });
    let r = await runCli(['-f', file, '-o', 'json', 'promote', 'app', '--to', 'prod'], runner());
    expect(r.code, r.stderr).toBe(0);
    proxy.reset();

    r = await runCli(['-f', file, '-o', 'json', 'promote', 'app-debug', '--to', 'prod'], runner());
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().results[0]).toMatchObject({ image: 'app-debug', outcome: 'promoted', digest: image.digest });
    const digests = allBlobs(image).map((d) => d.digest);
    expect(uploadsOf(proxy.requests, digests)).toEqual([]);
    // The filter sees uploads: the promotion record's own blobs were uploaded in the same run.
    expect(proxy.requests.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/')).length).toBeGreaterThan(0);
    expect(mountsFrom(proxy.requests, repos.app)).toHaveLength(allBlobs(image).length);
    // The stage's target tag defaults to its name.
    expect((await rawGetManifest(prod.url, repos.debug, 'prod')).digest).toBe(image.digest);
  });
});
