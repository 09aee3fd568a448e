import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { dockerConfigCredentials } from '../../src/auth/docker-config.js';
import { RegtopoError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { listTags } from '../../src/ops/list-tags.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from '../cli/run-cli.js';

const skip = registrySkipReason('token');
if (skip) console.warn(`skipping auth tests: ${skip}`);

function dockerConfigDir(auths: Record<string, { username: string; password: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'regtopo-auth-'));
  const doc = { auths: Object.fromEntries(Object.entries(auths).map(([host, c]) => [host, { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') }])) };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(doc));
  return dir;
}

describe.skipIf(skip)('auth against real registries', () => {
  let plain: TestRegistry;
  let basic: TestRegistry;
  let token: TestRegistry;
  let tls: TestRegistry;
  const built = buildImage({ layers: [12_000, 34_000] });
  const repo = uniqueRepo('auth');

  beforeAll(async () => {
    [plain, basic, token, tls] = await Promise.all([
      startTestRegistry('plain'), startTestRegistry('htpasswd'),
      startTestRegistry('token', { tokenUsers: { reader: { password: 'reader-pw', grants: [{ repo: '**', actions: ['pull'] }] } } }),
      startTestRegistry('tls'),
    ]);
    await pushImage(plain.url, repo, 'v1', built);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), basic?.stop(), token?.stop(), tls?.stop()]);
  });

  describe('htpasswd (Basic)', () => {
    it('copies with credentials from a docker config and lists tags', async () => {
      const dir = dockerConfigDir({ [`http://${basic.host}`]: { username: basic.username!, password: basic.password! } });
      const lines: string[] = [];
      const client = new RegistryClient({ credentials: dockerConfigCredentials({ configDir: dir }), logger: (l) => lines.push(l) });
      try {
        const r = await copy(`${plain.host}/${repo}:v1`, `${basic.host}/${repo}:v1`, { client });
        expect(r.digest).toBe(built.digest);
        expect(await listTags(`${basic.host}/${repo}`, { client })).toEqual(['v1']);
      } finally {
        await client.close();
      }
      const log = lines.join('\n');
      expect(log).toContain(`→ 401`); // the first, anonymous attempt
      expect(log).not.toContain(basic.password!);
      expect(log).not.toMatch(/basic |authorization/i);
    });

    it('refuses without credentials or with a wrong password, naming no secret', async () => {
      for (const credentials of [staticCredentials({}), staticCredentials({ [basic.host]: { username: basic.username!, password: 'wrong-password' } })]) {
        const client = new RegistryClient({ credentials });
        const err = (await copy(`${plain.host}/${repo}:v1`, `${basic.host}/${repo}:denied`, { client }).catch((e: unknown) => e)) as RegtopoError;
        await client.close();
        expect(err.code).toBe('E_UNAUTHORIZED');
        expect(err.message).not.toContain('wrong-password');
      }
      expect((await rawGetManifest(basic.url, repo, 'denied', { auth: { username: basic.username!, password: basic.password! } })).status).toBe(404);
    });

    it('the CLI reads $DOCKER_CONFIG and exits 5 on refused credentials', async () => {
      const good = dockerConfigDir({ [basic.host]: { username: basic.username!, password: basic.password! } });
      const ok = await runCli(['copy', `${plain.host}/${repo}:v1`, `${basic.host}/${repo}:cli`], { DOCKER_CONFIG: good });
      expect(ok.code).toBe(0);
      const bad = dockerConfigDir({ [basic.host]: { username: basic.username!, password: 'nope-secret' } });
      const denied = await runCli(['copy', `${plain.host}/${repo}:v1`, `${basic.host}/${repo}:cli2`, '-v'], { DOCKER_CONFIG: bad });
      expect(denied.code).toBe(5);
      expect(denied.stderr).not.toContain('nope-secret');
      expect(denied.stderr).toMatch(/^regtopo: HEAD http:\/\/127\.0\.0\.1:\d+\/v2\/.*: 401/m);
    });
  });

  describe('token (Bearer)', () => {
    it('fetches one token per scope set, in parallel transfers, and mounts within the registry', async () => {
      const ts = token.tokenServer!;
      ts.reset();
      const client = new RegistryClient({ credentials: staticCredentials({ [token.host]: { username: token.username!, password: token.password! } }) });
      try {
        const many = buildImage({ layers: Array.from({ length: 12 }, (_, i) => 1000 + i) });
        await pushImage(plain.url, `${repo}-many`, 'v1', many);
        const r = await copy(`${plain.host}/${repo}-many:v1`, `${token.host}/${repo}:v1`, { client, jobs: 8 });
        expect(r.digest).toBe(many.digest);
        expect(r.blobs.copied).toBe(13);
        const fetches = ts.requests.filter((q) => q.status === 200);
        // pull (HEAD of the target tag), then pull+push for the writes: 13 blobs share one token.
        expect(fetches.map((q) => q.scopes.join(' ')).sort()).toEqual([`repository:${repo}:pull`, `repository:${repo}:pull,push`]);
        expect(fetches.every((q) => q.hadAuthorization && q.user === token.username)).toBe(true);

        ts.reset();
        const mounted = await copy(`${token.host}/${repo}:v1`, `${token.host}/${repo}-prod:v1`, { client });
        expect(mounted.blobs.mounted).toBe(13);
        expect(ts.requests.some((q) => q.scopes.includes(`repository:${repo}-prod:pull,push`) && q.scopes.includes(`repository:${repo}:pull`))).toBe(true);
      } finally {
        await client.close();
      }
    });

    it('a topology candidate holding the image is asked with the scopes its mounts need: one token serves the probe and the mounts', async () => {
      const ts = token.tokenServer!;
      const client = new RegistryClient({ credentials: staticCredentials({ [token.host]: { username: token.username!, password: token.password! } }) });
      try {
        const image = buildImage({ layers: [1500, 2500] });
        await pushImage(plain.url, `${repo}-held`, 'v1', image);
        // Put there by another client: the copy under test holds no token yet.
        const seeder = new RegistryClient({ credentials: staticCredentials({ [token.host]: { username: token.username!, password: token.password! } }) });
        await copy(`${plain.host}/${repo}-held:v1`, `${token.host}/${repo}-held:v1`, { client: seeder }).finally(() => seeder.close());
        ts.reset();
        const r = await copy(`${plain.host}/${repo}-held:v1`, `${token.host}/${repo}-next:v1`, { client, mountCandidates: [`${repo}-held`] });
        expect(r.blobs).toEqual({ copied: 0, mounted: 3, existing: 0 });
        const fetches = ts.requests.filter((q) => q.status === 200).map((q) => [...q.scopes].sort().join(' ')).sort();
        // The target's HEADs (pull), one token for the holder probe and all three mounts, and the
        // manifest PUT's (push): no token for the holder's pull scope alone.
        expect(fetches).toEqual([`repository:${repo}-held:pull repository:${repo}-next:pull,push`, `repository:${repo}-next:pull`, `repository:${repo}-next:pull,push`]);
      } finally {
        await client.close();
      }
    });

    it('a read-only user can pull but not push', async () => {
      const client = new RegistryClient({ credentials: staticCredentials({ [token.host]: { username: 'reader', password: 'reader-pw' } }) });
      try {
        expect(await listTags(`${token.host}/${repo}`, { client })).toContain('v1');
        const err = (await copy(`${token.host}/${repo}:v1`, `${token.host}/${repo}-copy:v1`, { client }).catch((e: unknown) => e)) as RegtopoError;
        expect(err.code).toBe('E_UNAUTHORIZED');
      } finally {
        await client.close();
      }
    });

    it('anonymous callers are refused with a clear code', async () => {
      const client = new RegistryClient({ credentials: staticCredentials({}) });
      const err = (await listTags(`${token.host}/${repo}`, { client }).catch((e: unknown) => e)) as RegtopoError;
      await client.close();
      expect(err.code).toBe('E_UNAUTHORIZED');
    });
  });

  describe('TLS with a private CA', () => {
    it('works with --ca-file and fails plainly without it', async () => {
      const trusted = new RegistryClient({ credentials: staticCredentials({}), hosts: { [tls.host]: { caFile: tls.caFile } } });
      try {
        const r = await copy(`${plain.host}/${repo}:v1`, `${tls.host}/${repo}:v1`, { client: trusted });
        expect(r.digest).toBe(built.digest);
      } finally {
        await trusted.close();
      }
      const cli = await runCli(['tags', `${tls.host}/${repo}`, '--ca-file', tls.caFile!]);
      expect(cli.stdout.trim()).toBe('v1');
      // Loopback defaults to http, which a TLS port rejects: the message says what to do.
      const plainHttp = await runCli(['tags', `${tls.host}/${repo}`]);
      expect(plainHttp.code).toBe(7);
      expect(plainHttp.stderr).toContain('the registry speaks https: use an https:// URL, or pass --ca-file for a private CA');
      // With https forced and no CA, the certificate is not trusted.
      const client = new RegistryClient({ credentials: staticCredentials({}), hosts: { [tls.host]: { scheme: 'https' } } });
      const err = (await listTags(`${tls.host}/${repo}`, { client }).catch((e: unknown) => e)) as RegtopoError;
      await client.close();
      expect(err.code).toBe('E_TLS');
      expect(err.message).toMatch(/TLS certificate not trusted \(\w+\); pass --ca-file/);
    });
  });
});
