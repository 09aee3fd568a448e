/**
 * Credentials layer: docker config.json forms, lookup order, and real credential-helper processes
 * (a shell script on a temporary PATH) for the helper protocol, caching, timeouts and redaction.
 */

import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainCredentials, staticCredentials } from '../../src/auth/credential.js';
import { credentialHelper, scrubLine } from '../../src/auth/credential-helper.js';
import { dockerConfigCredentials, normalizeConfigKey } from '../../src/auth/docker-config.js';
import { RegtopoError } from '../../src/errors.js';

const SECRET = 's3cr3t-helper-Secret-value-42';
const TOKEN = 'refresh-token-ABCDEF-0123456789';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

let root: string;
let binDir: string;
let counter: string;
let env: NodeJS.ProcessEnv;
let seq = 0;

/** The test helper: canned answers per server URL, a counter file, and misbehaviour on request. */
const HELPER_SCRIPT = (counterFile: string) => `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> '${counterFile}'
case "$server" in
  registry.example.com)
    printf '{"ServerURL":"%s","Username":"helper-user","Secret":"${SECRET}"}' "$server" ;;
  https://index.docker.io/v1/)
    printf '{"ServerURL":"%s","Username":"hub-helper","Secret":"${SECRET}"}' "$server" ;;
  token.example.com)
    printf '{"ServerURL":"%s","Username":"<token>","Secret":"${TOKEN}"}' "$server" ;;
  slow.example.com)
    exec sleep 5 ;;
  broken.example.com)
    printf '{"Secret":"${SECRET}"}'
    echo "fatal: keychain said ${SECRET} is locked" >&2
    exit 3 ;;
  garbage.example.com)
    printf 'not json ${SECRET}' ;;
  *)
    echo "credentials not found in native keychain"
    exit 1 ;;
esac
`;

async function configDir(config: unknown): Promise<string> {
  const dir = join(root, `cfg-${++seq}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

async function provider(config: unknown, extra: { helperTimeoutMs?: number } = {}) {
  return dockerConfigCredentials({ configDir: await configDir(config), env, ...extra });
}

async function runs(): Promise<string[]> {
  try {
    return (await readFile(counter, 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function errorOf(p: Promise<unknown>): Promise<RegtopoError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RegtopoError);
    return e as RegtopoError;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'regtopo-creds-'));
  binDir = join(root, 'bin');
  counter = join(root, 'runs.log');
  await mkdir(binDir);
  const script = join(binDir, 'docker-credential-regtopotest');
  await writeFile(script, HELPER_SCRIPT(counter));
  await chmod(script, 0o755);
  env = { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` };
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('static and chained providers', () => {
  it('canonicalises Docker Hub keys and lookups', async () => {
    const p = staticCredentials({ 'index.docker.io': { username: 'u', password: 'p' } });
    expect(await p.get('docker.io')).toEqual({ username: 'u', password: 'p' });
    expect(await p.get('registry-1.docker.io')).toEqual({ username: 'u', password: 'p' });
    expect(await p.get('ghcr.io')).toBeUndefined();
  });

  it('returns the first hit in order', async () => {
    const a = staticCredentials({ 'ghcr.io': { username: 'a' } });
    const b = staticCredentials({ 'ghcr.io': { username: 'b' }, 'quay.io': { username: 'b' } });
    const chain = chainCredentials(a, b);
    expect(await chain.get('ghcr.io')).toEqual({ username: 'a' });
    expect(await chain.get('quay.io')).toEqual({ username: 'b' });
    expect(await chain.get('example.com')).toBeUndefined();
  });
});

describe('docker config auths', () => {
  it('decodes base64 auth, splitting on the first colon', async () => {
    const p = await provider({ auths: { 'ghcr.io': { auth: b64('alice:pa:ss:word') } } });
    expect(await p.get('ghcr.io')).toEqual({ username: 'alice', password: 'pa:ss:word' });
    expect(await p.get('quay.io')).toBeUndefined();
  });

  it('accepts username/password, identitytoken and registrytoken fields', async () => {
    const p = await provider({
      auths: {
        'a.example.com': { username: 'bob', password: 'hunter2' },
        'b.example.com': { identitytoken: 'idtok' },
        'c.example.com': { registrytoken: 'regtok' },
        'd.example.com': {},
      },
    });
    expect(await p.get('a.example.com')).toEqual({ username: 'bob', password: 'hunter2' });
    expect(await p.get('b.example.com')).toEqual({ identityToken: 'idtok' });
    expect(await p.get('c.example.com')).toEqual({ registryToken: 'regtok' });
    expect(await p.get('d.example.com')).toBeUndefined();
  });

  it.each([
    'https://index.docker.io/v1/',
    'index.docker.io',
    'https://index.docker.io/v2/',
    'docker.io',
    'https://registry-1.docker.io',
  ])('resolves Docker Hub key %s for docker.io', async (key) => {
    const p = await provider({ auths: { [key]: { auth: b64('hub:pw') } } });
    expect(await p.get('docker.io')).toEqual({ username: 'hub', password: 'pw' });
    expect(await p.get('index.docker.io')).toEqual({ username: 'hub', password: 'pw' });
  });

  it('normalises http://, https:// and /v1/ key forms', async () => {
    const p = await provider({
      auths: {
        'http://127.0.0.1:5000': { auth: b64('local:pw') },
        'https://ghcr.io/v1/': { auth: b64('gh:pw') },
        'HTTPS://Quay.IO/': { auth: b64('q:pw') },
      },
    });
    expect(await p.get('127.0.0.1:5000')).toEqual({ username: 'local', password: 'pw' });
    expect(await p.get('127.0.0.1')).toBeUndefined();
    expect(await p.get('ghcr.io')).toEqual({ username: 'gh', password: 'pw' });
    expect(await p.get('quay.io')).toEqual({ username: 'q', password: 'pw' });
    expect(normalizeConfigKey('https://index.docker.io/v1/')).toBe('docker.io');
  });

  it('prefers the exact key over another form of the same host', async () => {
    const p = await provider({
      auths: { 'https://ghcr.io/': { auth: b64('other:pw') }, 'ghcr.io': { auth: b64('exact:pw') } },
    });
    expect(await p.get('ghcr.io')).toEqual({ username: 'exact', password: 'pw' });
  });

  it('rejects malformed base64 naming file and key, not the value', async () => {
    const dir = await configDir({ auths: { 'ghcr.io': { auth: 'not*base64!value' } } });
    const p = dockerConfigCredentials({ configDir: dir, env });
    const err = await errorOf(p.get('ghcr.io'));
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toContain(join(dir, 'config.json'));
    expect(err.message).toContain('ghcr.io');
    expect(err.message).not.toContain('not*base64!value');

    const noColon = await provider({ auths: { 'ghcr.io': { auth: b64('justauser') } } });
    expect((await errorOf(noColon.get('ghcr.io'))).code).toBe('E_CONFIG');
  });
});

describe('docker config file location and errors', () => {
  it('uses DOCKER_CONFIG from env', async () => {
    const dir = await configDir({ auths: { 'ghcr.io': { auth: b64('env:pw') } } });
    const p = dockerConfigCredentials({ env: { ...env, DOCKER_CONFIG: dir } });
    expect(await p.get('ghcr.io')).toEqual({ username: 'env', password: 'pw' });
  });

  it('falls back to ~/.docker/config.json via HOME', async () => {
    const home = join(root, 'home');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: b64('home:pw') } } }));
    const e: NodeJS.ProcessEnv = { ...env, HOME: home };
    delete e.DOCKER_CONFIG;
    expect(await dockerConfigCredentials({ env: e }).get('ghcr.io')).toEqual({ username: 'home', password: 'pw' });
  });

  it('treats a missing file as no credentials', async () => {
    const p = dockerConfigCredentials({ configDir: join(root, 'does-not-exist'), env });
    expect(await p.get('docker.io')).toBeUndefined();
  });

  it('reports invalid JSON naming the file without its contents', async () => {
    const dir = await configDir(`{"auths": {"ghcr.io": {"auth": "${b64('leak:me')}"}} oops-${SECRET}`);
    const p = dockerConfigCredentials({ configDir: dir, env });
    const err = await errorOf(p.get('ghcr.io'));
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toContain(join(dir, 'config.json'));
    expect(err.message).toMatch(/invalid JSON/);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(b64('leak:me'));
    expect(err.message).not.toContain('oops');
  });

  it('reads the file once', async () => {
    const dir = await configDir({ auths: { 'ghcr.io': { auth: b64('first:pw') } } });
    const p = dockerConfigCredentials({ configDir: dir, env });
    expect(await p.get('ghcr.io')).toEqual({ username: 'first', password: 'pw' });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: b64('second:pw') } } }));
    expect(await p.get('ghcr.io')).toEqual({ username: 'first', password: 'pw' });
  });
});

describe('lookup order', () => {
  it('credHelpers beats credsStore beats auths', async () => {
    const p = await provider({
      credHelpers: { 'registry.example.com': 'regtopotest' },
      credsStore: 'regtopotest',
      auths: {
        'registry.example.com': { auth: b64('file:pw') },
        'only-file.example.com': { auth: b64('file:pw') },
      },
    });
    expect(await p.get('registry.example.com')).toEqual({ username: 'helper-user', password: SECRET });
    // The store has no entry for this host, so auths answers.
    expect(await p.get('only-file.example.com')).toEqual({ username: 'file', password: 'pw' });
  });

  it('credHelpers for one host does not need a credsStore', async () => {
    const p = await provider({
      credHelpers: { 'registry.example.com': 'regtopotest' },
      auths: { 'ghcr.io': { auth: b64('file:pw') } },
    });
    expect(await p.get('registry.example.com')).toEqual({ username: 'helper-user', password: SECRET });
    expect(await p.get('ghcr.io')).toEqual({ username: 'file', password: 'pw' });
  });

  it('credsStore is asked with the Docker Hub server URL', async () => {
    const p = await provider({ credsStore: 'regtopotest', auths: { 'https://index.docker.io/v1/': {} } });
    expect(await p.get('docker.io')).toEqual({ username: 'hub-helper', password: SECRET });
  });

  it('a missing credHelper binary is E_CONFIG', async () => {
    const p = await provider({ credHelpers: { 'ghcr.io': 'regtopo-missing' } });
    const err = await errorOf(p.get('ghcr.io'));
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toContain('docker-credential-regtopo-missing not found on PATH');
  });
});

describe('credential helper process', () => {
  const helper = (timeoutMs?: number) => credentialHelper('regtopotest', { env, timeoutMs });

  it('returns username and secret', async () => {
    expect(await helper().get('registry.example.com')).toEqual({ username: 'helper-user', password: SECRET });
  });

  it('maps <token> to an identity token', async () => {
    expect(await helper().get('token.example.com')).toEqual({ identityToken: TOKEN });
  });

  it('treats "credentials not found" as no credentials', async () => {
    expect(await helper().get('unknown.example.com')).toBeUndefined();
  });

  it('runs once for concurrent lookups of one host', async () => {
    const h = helper();
    const before = (await runs()).filter((s) => s === 'registry.example.com').length;
    const results = await Promise.all(Array.from({ length: 5 }, () => h.get('registry.example.com')));
    for (const r of results) expect(r).toEqual({ username: 'helper-user', password: SECRET });
    expect(await h.get('registry.example.com')).toEqual({ username: 'helper-user', password: SECRET });
    const after = (await runs()).filter((s) => s === 'registry.example.com').length;
    expect(after - before).toBe(1);
  });

  it('missing helper binary is E_CONFIG', async () => {
    const err = await errorOf(credentialHelper('regtopo-nope', { env }).get('ghcr.io'));
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toContain('credential helper docker-credential-regtopo-nope not found on PATH');
  });

  it('times out a stuck helper with E_CONFIG', async () => {
    const started = Date.now();
    const err = await errorOf(helper(300).get('slow.example.com'));
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toMatch(/timed out/);
    expect(err.message).toContain('slow.example.com');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('never puts the secret in a failure message', async () => {
    const broken = await errorOf(helper().get('broken.example.com'));
    expect(broken.code).toBe('E_CONFIG');
    expect(broken.message).toContain('docker-credential-regtopotest');
    expect(broken.message).toContain('broken.example.com');
    expect(broken.message).toContain('keychain said');
    expect(broken.message).not.toContain(SECRET);

    const garbage = await errorOf(helper().get('garbage.example.com'));
    expect(garbage.code).toBe('E_CONFIG');
    expect(garbage.message).not.toContain(SECRET);
  });

  it('does not cache failures', async () => {
    const h = helper();
    await errorOf(h.get('broken.example.com'));
    const before = (await runs()).filter((s) => s === 'broken.example.com').length;
    await errorOf(h.get('broken.example.com'));
    const after = (await runs()).filter((s) => s === 'broken.example.com').length;
    expect(after - before).toBe(1);
  });

  it('rejects helper names that are not bare program names', async () => {
    expect((await errorOf(credentialHelper('../evil', { env }).get('ghcr.io'))).code).toBe('E_CONFIG');
  });

  it('scrubs secret-looking text from stderr lines', () => {
    expect(scrubLine('error: password=hunter2 rejected')).not.toContain('hunter2');
    expect(scrubLine('bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc')).not.toContain('eyJhbGci');
    expect(scrubLine('said xyz', ['xyz'])).toBe('said [REDACTED]');
  });
});
