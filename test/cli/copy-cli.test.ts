import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { pushDemoImage } from '../../src/demo/demo-image.js';
import { findRegistryBinary, startLocalRegistry, type LocalRegistry } from '../../src/demo/local-registry.js';
import { Reference } from '../../src/ref/reference.js';
import { runCli } from './run-cli.js';

describe.skipIf(!findRegistryBinary())('CLI: copy, tag, tags, inspect against real registries', () => {
  let a: LocalRegistry;
  let b: LocalRegistry;
  let digest: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startLocalRegistry(), startLocalRegistry()]);
    const client = new RegistryClient();
    digest = await pushDemoImage(client.repository(Reference.parse(`${a.host}/team/app:latest`)), 'latest', {
      platforms: ['linux/amd64', 'linux/arm64'], layersPerPlatform: 2, layerBytes: 4096, version: '2.3.4',
    });
    await client.close();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('copies digest-exact and reports JSON; stderr stays empty off a terminal', async () => {
    const r = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/app:1`, '--output', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.json();
    expect(out.digest).toBe(digest);
    expect(out.sourceDigest).toBe(digest);
    expect(out.upToDate).toBe(false);
    expect(out.blobs.copied).toBe(6); // 2 platforms × (2 layers + config)
    expect(out.manifests.pushed).toBe(3);
  });

  it('a second copy is a no-op', async () => {
    const r = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/app:1`, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.json().upToDate).toBe(true);
    const text = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/app:1`]);
    expect(text.stdout).toContain('nothing copied');
  });

  it('tags in place and reports created / unchanged', async () => {
    const first = await runCli(['tag', `${b.host}/prod/app:1`, 'stable', 'v1', '-o', 'json']);
    expect(first.code).toBe(0);
    expect(first.json().tags).toEqual([{ tag: 'stable', action: 'created' }, { tag: 'v1', action: 'created' }]);
    const again = await runCli(['tag', `${b.host}/prod/app:1`, 'stable']);
    expect(again.stdout.trim()).toBe(`stable: unchanged → ${digest}`);
  });

  it('lists tags and inspects platforms and config', async () => {
    const tags = await runCli(['tags', `${b.host}/prod/app`]);
    expect(tags.stdout.trim().split('\n')).toEqual(['1', 'stable', 'v1']);
    const info = (await runCli(['inspect', `${b.host}/prod/app:1`, '-o', 'json'])).json();
    expect(info.digest).toBe(digest);
    expect(info.platforms.map((p: { platform: string }) => p.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    const child = (await runCli(['inspect', `${b.host}/prod/app@${info.platforms[1].digest}`, '-o', 'json'])).json();
    expect(child.config.labels['org.opencontainers.image.version']).toBe('2.3.4');
    expect(child.config.architecture).toBe('arm64');
    expect(child.layers.count).toBe(2);
  });

  it('copies a platform subset and says the digest differs', async () => {
    const r = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/app-amd64:1`, '--platform', 'linux/amd64', '-o', 'json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.platformSubset).toBe(true);
    expect(out.digest).not.toBe(digest);
    const info = (await runCli(['inspect', `${b.host}/prod/app-amd64:1`, '-o', 'json'])).json();
    expect(info.platforms.map((p: { platform: string }) => p.platform)).toEqual(['linux/amd64']);
    const text = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/app-amd64:2`, '--platform', 'linux/amd64']);
    expect(text.stdout).toContain('platform subset: differs from source');
    const none = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/app-s390x:1`, '--platform', 'linux/s390x']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no manifest matches --platform linux/s390x (offered: linux/amd64, linux/arm64)');
  });

  it('-v logs each request with redacted URLs to stderr', async () => {
    // An empty blob-location cache: with this file's earlier copies in it, the blobs would be mounted, not uploaded.
    const r = await runCli(['copy', `${a.host}/team/app:latest`, `${b.host}/prod/verbose:1`, '-v'], { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'regtopo-cli-empty-cache-')) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/team\/app\/manifests\/latest → 200/);
    expect(r.stderr).toMatch(/PUT http:\/\/127\.0\.0\.1:\d+\/v2\/prod\/verbose\/blobs\/uploads\/[^ ]*_state=REDACTED/);
    expect(r.stderr).toContain('manifest sha256:');
  });

  it.each([
    [['copy', 'Bad/Ref', 'x/y'], 2, 'regtopo: invalid reference "Bad/Ref": invalid repository component "Bad" (must be lowercase)'],
    [['copy', '127.0.0.1:1/a', 'x/y', '--jobs', '0'], 2, "error: option '-j, --jobs <n>' argument '0' is invalid. --jobs must be a positive integer, got \"0\""],
    [['tag', '127.0.0.1:1/a:b', 'bad tag'], 2, 'regtopo: invalid tag "bad tag"'],
    [['copy', '--nope', 'a', 'b'], 2, "error: unknown option '--nope'"],
  ])('usage errors: %j → exit %i', async (args, code, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(code);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  it('missing images exit 4 with a one-line message; JSON errors carry code and exit', async () => {
    const r = await runCli(['copy', `${a.host}/team/absent:latest`, `${b.host}/prod/x:1`]);
    expect(r.code).toBe(4);
    // Which part is missing: here the repository itself (issue 12).
    expect(r.stderr).toBe(`regtopo: ${a.host}/team/absent:latest: repository team/absent does not exist on ${a.host} (NAME_UNKNOWN); check the repository path\n`);
    const j = await runCli(['inspect', `${a.host}/team/absent:latest`, '-o', 'json']);
    expect(j.code).toBe(4);
    expect(j.json().error.code).toBe('E_NOT_FOUND');
    expect(j.json().error.exitCode).toBe(4);
  });

  it('an unreachable registry exits 7', async () => {
    const r = await runCli(['tags', '127.0.0.1:1/none']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/^regtopo: GET http:\/\/127\.0\.0\.1:1\/v2\/none\/tags\/list\?n=1000: ECONNREFUSED/);
  });

  it('--version and --help exit 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['copy', 'tag', 'inspect', 'tags', 'demo']) expect(h.stdout).toContain(c);
  });
});
