/**
 * Messages that say what to do next, against real registries: a host that is not a registry,
 * which part of a reference is missing, what an untagged copy target ends up with, a bogus
 * REGTOPO_ENV, mirror dry-run wording and exit 7 for network-only failures, and `tags` hiding
 * record and signature tags unless --all.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { startMirrorEnv, type MirrorEnv } from '../support/mirror-env.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();
const HEX64 = 'a'.repeat(64);

describe.skipIf(skip)('CLI messages that say what to do next', () => {
  let reg: TestRegistry;
  let web: Server;
  let webHost: string;
  let repo: string;
  let digest: string;

  beforeAll(async () => {
    reg = await startTestRegistry('plain');
    repo = uniqueRepo('app');
    const built = buildImage({ layers: [1024] });
    digest = await pushImage(reg.url, repo, '1.0', built);
    // regtopo's record tags, the referrers fallback tag and cosign's tags, on the same manifest.
    for (const t of [`rts-${HEX64}-0123abcd-0000000000000-abcdef`, `sha256-${HEX64}`, `sha256-${HEX64}.sig`, `sha256-${HEX64}.att`]) await pushImage(reg.url, repo, t, built);
    // A web server that answers, but not as a registry.
    web = createServer((_req, res) => { res.statusCode = 404; res.end('<html>not here</html>'); });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    webHost = `127.0.0.1:${(web.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await reg?.stop();
    await new Promise((r) => web?.close(r));
  });

  it('a host that answers but is not a registry is named as such, exit 7, not "manifest not found"', async () => {
    const r = await runCli(['copy', `${webHost}/app:1`, `${reg.host}/x/app:1`]);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(`regtopo: ${webHost} is not a container registry (GET /v2/ → 404); check the host and port\n`);
    const target = await runCli(['copy', `${reg.host}/${repo}:1.0`, `${webHost}/app:1`, '-o', 'json']);
    expect(target.json().error).toMatchObject({ code: 'E_NETWORK', exitCode: 7, message: expect.stringContaining(`${webHost} is not a container registry`) });
  });

  it('not found says whether the repository or the tag is missing', async () => {
    const repoMissing = await runCli(['inspect', `${reg.host}/no/such:1`]);
    expect(repoMissing.code).toBe(4);
    expect(repoMissing.stderr).toMatch(/repository no\/such does not exist on 127\.0\.0\.1:\d+ \(NAME_UNKNOWN\)/);
    const tagMissing = await runCli(['copy', `${reg.host}/${repo}:2.0`, `${reg.host}/other:2.0`]);
    expect(tagMissing.code).toBe(4);
    expect(tagMissing.stderr).toContain(`tag 2.0 not found in repository ${reg.host}/${repo} (MANIFEST_UNKNOWN; its tags: `);
  });

  it('an untagged target takes the source tag; a digest source into an untagged target says nothing was tagged', async () => {
    const tagged = await runCli(['copy', `${reg.host}/${repo}:1.0`, `${reg.host}/copies/a`]);
    expect(tagged.code, tagged.stderr).toBe(0);
    expect(tagged.stdout).toContain("tagged 1.0 (the source's tag; the target named none)");
    expect((await runCli(['tags', `${reg.host}/copies/a`])).stdout).toBe('1.0\n');
    const byDigest = await runCli(['copy', `${reg.host}/${repo}@${digest}`, `${reg.host}/copies/b`]);
    expect(byDigest.code, byDigest.stderr).toBe(0);
    expect(byDigest.stdout).toContain(`nothing was tagged: the source is a digest and the target names no tag (pushed as ${digest} only)`);
  });

  it('tags hides record, referrer and cosign tags unless --all', async () => {
    const plain = await runCli(['tags', `${reg.host}/${repo}`, '-o', 'json']);
    expect(plain.json()).toEqual({ repository: `${reg.host}/${repo}`, tags: ['1.0'], hidden: 4 });
    const all = await runCli(['tags', `${reg.host}/${repo}`, '--all']);
    expect(all.stdout.trim().split('\n').sort()).toHaveLength(5);
    expect(all.stdout).toContain(`sha256-${HEX64}.sig`);
  });

  it('a bogus REGTOPO_ENV is blamed on the variable; commands without a topology ignore it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-env-'));
    writeFileSync(join(dir, 'registries.yaml'), `version: 1\nregistries:\n  ci: {role: ci, url: ${reg.url}}\nenvironments:\n  test: {}\n  staging: {}\n`);
    const r = await runCli(['graph'], { REGTOPO_ENV: 'bogus' }, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('regtopo: REGTOPO_ENV=bogus: no environment "bogus" in registries.yaml (environments: test, staging)\n');
    const flag = await runCli(['graph', '--env', 'tset'], {}, dir);
    expect(flag.stderr).toContain('--env tset: no environment "tset" in registries.yaml (environments: test, staging) (did you mean "test"?)');
    for (const args of [['version'], ['schema'], ['copy', `${reg.host}/${repo}:1.0`, `${reg.host}/env/app:1`]]) {
      const ok = await runCli(args, { REGTOPO_ENV: 'bogus' });
      expect(ok.code, `${args[0]}: ${ok.stderr}`).toBe(0);
    }
  });
});

describe.skipIf(skip)('mirror: dry-run wording and network-only failures', () => {
  let env: MirrorEnv;
  let dir: string;
  beforeAll(async () => {
    env = await startMirrorEnv();
    dir = mkdtempSync(join(tmpdir(), 'regtopo-mirror-next-'));
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('--dry-run says would copy in each line and the summary; JSON keeps the action', async () => {
    const repo = uniqueRepo('library');
    await env.seed(repo, '1.0');
    const file = join(dir, 'dry.yaml');
    writeFileSync(file, env.yaml([{ name: 'app', repository: repo, tags: ['1.0'] }]));
    const r = await runCli(['-f', file, 'mirror', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\[dry-run\] app 1\.0: would copy sha256:/m);
    expect(r.stdout).toMatch(/mirror ok: 1 tag \(1 would copy\)/);
    const json = await runCli(['-f', file, 'mirror', '--dry-run', '-o', 'json']);
    expect(json.json().tags[0]).toMatchObject({ action: 'copied', dryRun: true });
  });

  it('a run whose every failure is a network failure exits 7; other failures stay exit 1', async () => {
    const file = join(dir, 'down.yaml');
    // The upstream is a closed port: every rule fails to reach it.
    writeFileSync(file, env.yaml([{ name: 'app', repository: 'library/app', tags: ['1.0'] }]).replace(env.proxy.url, 'http://127.0.0.1:1'));
    const r = await runCli(['-f', file, 'mirror', '-o', 'json']);
    expect(r.code, r.stdout).toBe(7);
    expect(r.json().outcome).toBe('partial');
    const missing = join(dir, 'missing.yaml');
    writeFileSync(missing, env.yaml([{ name: 'app', repository: uniqueRepo('library'), tags: ['nope'] }]));
    expect((await runCli(['-f', missing, 'mirror'])).code).toBe(1);
  }, 60_000);
});
