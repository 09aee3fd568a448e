/**
 * A registry's TLS settings (`ca`, `--ca-file`, `insecure`) cover everything its requests reach: its
 * token realm and the storage hosts it redirects to. And the naming, as oras and regctl have it:
 * `--plain-http` is http to a non-loopback host, `--insecure` / `insecure: true` is https without
 * certificate verification.
 */
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { listTags } from '../../src/ops/list-tags.js';
import { isLoopbackHost } from '../../src/ref/registry-host.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { runCli } from '../cli/run-cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { makeServerPki, type ServerPki } from '../support/pki.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { startSharedRealmRegistries, startTlsFront, type SharedRealm, type TlsFront } from '../support/trust-hosts.js';

const skip = registrySkipReason('tls');
const retryFast = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };

function topologyFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'regtopo-tls-')), 'registries.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe.skipIf(skip)('TLS settings of a registry', () => {
  let pki: ServerPki;
  let realmFront: TlsFront | undefined;
  let secured: SharedRealm;
  let tls: TestRegistry;
  const repo = uniqueRepo('tls');
  const built = buildImage({ layers: [15_000, 25_000] });

  beforeAll(async () => {
    pki = await makeServerPki();
    // A TLS registry in token mode whose realm is https too, signed by the same private CA.
    secured = await startSharedRealmRegistries(1, {
      tls: pki,
      realm: async (ts) => {
        realmFront = await startTlsFront(ts.url, pki);
        return `${realmFront.url}/token`;
      },
    });
    tls = await startTestRegistry('tls');
    await pushImage(tls.url, repo, 'v1', built, { caFile: tls.caFile });
  });
  afterAll(async () => {
    await secured?.stop();
    await realmFront?.stop();
    await tls?.stop();
    await pki?.remove();
  });

  it("apply to the registry's token realm: the private CA given for the registry alone is enough", async () => {
    const reg = secured.registries[0]!;
    const ts = secured.tokenServer;
    ts.reset();
    const client = new RegistryClient({
      credentials: staticCredentials({ [reg.host]: { username: secured.username, password: secured.password } }),
      hosts: { [reg.host]: { caFile: pki.caFile } },
      retry: retryFast,
    });
    try {
      // Seeding the secured registry takes both registries' CAs; the check below uses only its own.
      const both = new RegistryClient({
        credentials: staticCredentials({ [reg.host]: { username: secured.username, password: secured.password } }),
        hosts: { [reg.host]: { caFile: pki.caFile }, [tls.host]: { caFile: tls.caFile } },
        retry: retryFast,
      });
      try {
        expect((await copy(`${tls.host}/${repo}:v1`, `${reg.host}/${repo}:v1`, { client: both })).digest).toBe(built.digest);
      } finally {
        await both.close();
      }
      expect(await listTags(`${reg.host}/${repo}`, { client })).toEqual(['v1']);
      const granted = ts.requests.filter((q) => q.status === 200);
      expect(granted.length).toBeGreaterThan(0);
      expect(granted.every((q) => q.user === secured.username)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('apply to the token realm with insecure (no CA at all), and through a topology `ca`', async () => {
    const reg = secured.registries[0]!;
    const client = new RegistryClient({
      credentials: staticCredentials({ [reg.host]: { username: secured.username, password: secured.password } }),
      hosts: { [reg.host]: { insecure: true } },
      retry: retryFast,
    });
    try {
      expect(await listTags(`${reg.host}/${repo}`, { client })).toEqual(['v1']);
    } finally {
      await client.close();
    }
    const file = topologyFile([
      'version: 1',
      'registries:',
      `  prod: { role: prod, url: "https://${reg.host}", ca: "${pki.caFile}", credentials: { env: { username: P_USER, password: P_PASS } } }`,
      '',
    ].join('\n'));
    const cli = await runCli(['tags', `${reg.host}/${repo}`, '-f', file], { P_USER: secured.username, P_PASS: secured.password });
    expect(cli.stderr).toBe('');
    expect(cli.stdout.trim()).toBe('v1');
  });

  it('without a CA or insecure nothing is trusted: E_TLS, not a registry error', async () => {
    const reg = secured.registries[0]!;
    const client = new RegistryClient({
      credentials: staticCredentials({ [reg.host]: { username: secured.username, password: secured.password } }),
      hosts: { [reg.host]: { scheme: 'https' } },
      retry: retryFast,
    });
    const err = (await listTags(`${reg.host}/${repo}`, { client }).catch((e: unknown) => e)) as RegtopoError;
    await client.close();
    expect(err.code).toBe('E_TLS');
  });

  describe('redirect hosts', () => {
    let front: FaultProxy;
    let storageFront: TlsFront;

    beforeAll(async () => {
      front = await startFaultProxy(tls.url, { targetCa: readFileSync(tls.caFile!) });
      // The storage host behind https with the registry's private CA.
      storageFront = await startTlsFront(front.storage.url, await caOf(tls));
    });
    afterAll(async () => {
      await storageFront?.stop();
      await front?.stop();
    });

    it("a blob redirected to an https storage host is fetched with the registry's CA, without Authorization", async () => {
      for (const blob of [built.config, ...built.layers]) {
        const signed = new URL(front.storage.signUrl(`/v2/${repo}/blobs/${blob.digest}`, undefined));
        front.addRule({ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`), fault: { kind: 'status', status: 307, headers: { location: `${storageFront.url}${signed.pathname}${signed.search}` } } });
      }
      const plain = await startTestRegistry('plain');
      const client = new RegistryClient({
        credentials: staticCredentials({}),
        // The proxy speaks http; its CA setting is what the redirect target inherits.
        hosts: { [front.host]: { scheme: 'http', caFile: tls.caFile } },
        retry: retryFast,
      });
      try {
        expect((await copy(`${front.host}/${repo}:v1`, `${plain.host}/${repo}:v1`, { client })).digest).toBe(built.digest);
        expect(front.storage.requests.filter((r) => r.status === 200)).toHaveLength(3);
        expect(front.storage.requests.every((r) => !r.hadAuthorization)).toBe(true);
      } finally {
        await client.close();
        await plain.stop();
      }
    });
  });

  describe('naming: --insecure, insecure: true, --plain-http', () => {
    it('--insecure reaches a TLS registry whose CA is not given; without it the certificate is refused', async () => {
      const ok = await runCli(['tags', `${tls.host}/${repo}`, '--insecure']);
      expect(ok.stderr).toBe('');
      expect(ok.stdout.trim()).toBe('v1');
      // Without it a loopback host is spoken to in plain http, which the TLS port refuses.
      const refused = await runCli(['tags', `${tls.host}/${repo}`]);
      expect(refused.code).toBe(7);
      expect(refused.stderr).toContain('the registry speaks https');
    });

    it('insecure: true in registries.yaml means https without verification (it used to be ignored)', async () => {
      const file = topologyFile(['version: 1', 'registries:', `  sandbox: { role: sandbox, url: "https://${tls.host}", insecure: true }`, ''].join('\n'));
      const cli = await runCli(['tags', `${tls.host}/${repo}`, '-f', file]);
      expect(cli.stderr).toBe('');
      expect(cli.stdout.trim()).toBe('v1');
      const strict = topologyFile(['version: 1', 'registries:', `  sandbox: { role: sandbox, url: "https://${tls.host}" }`, ''].join('\n'));
      const refused = await runCli(['tags', `${tls.host}/${repo}`, '-f', strict]);
      expect(refused.code).toBe(7);
      expect(refused.stderr).toMatch(/TLS certificate not trusted/);
    });

    it('--plain-http speaks http to a host whose name is not loopback', async () => {
      const name = hostname();
      const resolved = await lookup(name, { family: 4 }).catch(() => undefined);
      if (isLoopbackHost(name) || !resolved || !isLoopbackHost(resolved.address)) {
        console.warn(`--plain-http live check skipped: ${name} does not resolve to a loopback address here (the unit test covers the scheme rule)`);
        return;
      }
      const plain = await startTestRegistry('plain');
      try {
        await pushImage(plain.url, repo, 'p1', built);
        const host = `${name}:${new URL(plain.url).port}`;
        const ok = await runCli(['tags', `${host}/${repo}`, '--plain-http']);
        expect(ok.stderr).toBe('');
        expect(ok.stdout.trim()).toBe('p1');
        const https = await runCli(['tags', `${host}/${repo}`]);
        expect(https.code).toBe(7);
      } finally {
        await plain.stop();
      }
    });
  });
});

/** The PKI of the test TLS registry, for fronting another server with the same CA and certificate. */
async function caOf(reg: TestRegistry): Promise<ServerPki> {
  const dir = join(reg.caFile!, '..');
  return { dir, caFile: reg.caFile!, certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caPem: '', remove: async () => undefined };
}
