/**
 * Issue 9, "credentials never reach another host", against real Distribution registries: a redirect
 * target's 401 is not the registry's challenge, http token realms only for http registries, tokens
 * never shared between registries naming one realm, and tag-list entries that would climb out of the
 * repository never become request paths.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError } from '../../src/errors.js';
import { copy } from '../../src/ops/copy.js';
import { listTags } from '../../src/ops/list-tags.js';
import { mirror } from '../../src/ops/mirror/run.js';
import { listReferrers } from '../../src/registry/referrers.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import { runCli } from '../cli/run-cli.js';
import { BLOB_GET_PATH, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { makeServerPki, type ServerPki } from '../support/pki.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { startRecordingServer, startSharedRealmRegistries, type RecordingServer, type SharedRealm } from '../support/trust-hosts.js';

const skip = registrySkipReason('token');
const retryFast = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };
const EVIL_ENTRY = 'x/../../../secret/manifests/latest';

describe.skipIf(skip)('credentials never reach another host', () => {
  let basic: TestRegistry;
  let plain: TestRegistry;
  const built = buildImage({ layers: [10_000, 20_000] });
  const repo = uniqueRepo('trust');

  beforeAll(async () => {
    [basic, plain] = await Promise.all([startTestRegistry('htpasswd'), startTestRegistry('plain')]);
    await pushImage(basic.url, repo, 'v1', built, { auth: { username: basic.username!, password: basic.password! } });
    await pushImage(plain.url, repo, 'v1', built);
    await pushImage(plain.url, repo, 'v2', built);
  });
  afterAll(async () => {
    await Promise.all([basic?.stop(), plain?.stop()]);
  });

  describe('a redirect target answering 401', () => {
    let front: FaultProxy;
    let evilRealm: RecordingServer;
    let evilStorage: RecordingServer;

    beforeAll(async () => {
      front = await startFaultProxy(basic.url);
      evilRealm = await startRecordingServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: 'harvested', expires_in: 300 }));
      });
      // An http realm on purpose: the registry itself is plain http (loopback), so the realm rule
      // would let it through; only "challenges come from the registry's origin" stands in the way.
      evilStorage = await startRecordingServer((_req, res) => {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${evilRealm.url}/token",service="evil",scope="repository:${repo}:pull"`, 'content-length': '0' });
        res.end();
      });
    });
    afterAll(async () => {
      await Promise.all([front?.stop(), evilRealm?.stop(), evilStorage?.stop()]);
    });

    it("is not the registry's challenge: the evil realm gets no request and the registry keeps its own", async () => {
      const lines: string[] = [];
      const client = new RegistryClient({
        credentials: staticCredentials({ [front.host]: { username: basic.username!, password: basic.password! } }),
        retry: retryFast,
        logger: (l) => lines.push(l),
      });
      try {
        front.addRule({ method: 'GET', path: BLOB_GET_PATH, fault: { kind: 'status', status: 307, headers: { location: `${evilStorage.url}/bucket/blob?X-Amz-Signature=s3cr3t` } } });
        const err = (await copy(`${front.host}/${repo}:v1`, `${plain.host}/${repo}-leak:v1`, { client }).catch((e: unknown) => e)) as RegtopoError;
        expect(err).toBeInstanceOf(RegtopoError);
        expect(err.code).toBe('E_UNAUTHORIZED');
        expect(evilStorage.requests.length).toBeGreaterThan(0);
        expect(evilStorage.requests.every((r) => r.authorization === undefined)).toBe(true);
        expect(evilRealm.requests).toEqual([]);

        // The registry's own Basic challenge still stands: the next request authenticates as before.
        front.clearRules();
        expect(await listTags(`${front.host}/${repo}`, { client })).toEqual(['v1']);
        expect(evilRealm.requests).toEqual([]);
        expect(front.requests.filter((r) => r.path.endsWith('/tags/list')).every((r) => r.hadAuthorization)).toBe(true);
      } finally {
        await client.close();
      }
      expect(lines.join('\n')).not.toContain('s3cr3t');
    });
  });

  describe('token realms', () => {
    let pki: ServerPki;
    let tlsToken: SharedRealm;

    beforeAll(async () => {
      pki = await makeServerPki();
      // An https registry whose token service runs beside it over plain http, on the same hostname.
      tlsToken = await startSharedRealmRegistries(1, { tls: pki });
    });
    afterAll(async () => {
      await tlsToken?.stop();
      await pki?.remove();
    });

    it('an https registry naming a plain-http realm on its own hostname gets no credentials', async () => {
      const reg = tlsToken.registries[0]!;
      expect(new URL(tlsToken.tokenServer.realm).hostname).toBe(new URL(reg.url).hostname);
      const client = new RegistryClient({
        credentials: staticCredentials({ [reg.host]: { username: tlsToken.username, password: tlsToken.password } }),
        hosts: { [reg.host]: { caFile: pki.caFile } },
        retry: retryFast,
      });
      const err = (await listTags(`${reg.host}/${repo}`, { client }).catch((e: unknown) => e)) as RegtopoError;
      await client.close();
      expect(err).toBeInstanceOf(RegtopoError);
      expect(err.message).toBe(`${reg.host}: refusing to send credentials to token realm ${new URL(tlsToken.tokenServer.realm).origin} over plain http (the registry is https, its token realm must be too)`);
      expect(err.message).not.toContain(tlsToken.password);
      expect(tlsToken.tokenServer.requests).toEqual([]);
    });

    it('the CLI reports the refusal in one line', async () => {
      const reg = tlsToken.registries[0]!;
      const { mkdtempSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(join(tmpdir(), 'regtopo-realm-'));
      const auth = Buffer.from(`${tlsToken.username}:${tlsToken.password}`).toString('base64');
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth } } }));
      const cli = await runCli(['tags', `${reg.host}/${repo}`, '--ca-file', pki.caFile], { DOCKER_CONFIG: dir });
      expect(cli.code).not.toBe(0);
      expect(cli.stderr.trim()).toMatch(/^regtopo: .*refusing to send credentials to token realm http:\/\/127\.0\.0\.1:\d+ over plain http/);
      expect(cli.stderr).not.toContain(tlsToken.password);
      expect(tlsToken.tokenServer.requests).toEqual([]);
    });
  });

  describe('token cache', () => {
    let shared: SharedRealm;

    beforeAll(async () => {
      shared = await startSharedRealmRegistries(2, { anonymous: [{ repo: '**', actions: ['pull'] }] });
    });
    afterAll(async () => {
      await shared?.stop();
    });

    it('two registries naming one realm each get their own token, anonymous or not', async () => {
      const [a, b] = shared.registries as [typeof shared.registries[0], typeof shared.registries[0]];
      const ts = shared.tokenServer;
      for (const credentials of [staticCredentials({}), staticCredentials({ [a.host]: { username: shared.username, password: shared.password }, [b.host]: { username: shared.username, password: shared.password } })]) {
        ts.reset();
        const client = new RegistryClient({ credentials, retry: retryFast });
        try {
          for (const reg of [a, b, a, b]) {
            expect((await client.ping(reg.host)).status).toBe(200);
            await listTags(`${reg.host}/${repo}`, { client }).catch((e: RegtopoError) => expect(e.code).toBe('E_NOT_FOUND'));
          }
        } finally {
          await client.close();
        }
        // One token per (registry, scope set): the second round is served from the cache, and
        // registry B never reuses what was fetched for A.
        const fetched = ts.requests.filter((r) => r.status === 200);
        expect(fetched).toHaveLength(4);
        expect(fetched.map((r) => r.scopes.join(' ')).sort()).toEqual(['', '', `repository:${repo}:pull`, `repository:${repo}:pull`]);
      }
    });
  });

  describe('tag names from a registry', () => {
    let front: FaultProxy;

    beforeAll(async () => {
      front = await startFaultProxy(plain.url);
    });
    afterAll(async () => {
      await front?.stop();
    });

    const injectEvilTag = (body: Buffer): Buffer => {
      const doc = JSON.parse(body.toString('utf8')) as { name: string; tags: unknown[] };
      doc.tags = [EVIL_ENTRY, ...doc.tags, '../escape', 42];
      return Buffer.from(JSON.stringify(doc));
    };
    const noTraversal = () => {
      for (const r of front.requests) {
        expect(r.path).not.toContain('..');
        expect(r.path).not.toContain('secret');
      }
    };

    it('regtopo tags skips entries that are not tags, names each on stderr, and lists them as skipped in JSON', async () => {
      front.reset();
      front.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'rewriteBody', rewrite: injectEvilTag } });
      const text = await runCli(['tags', `${front.host}/${repo}`]);
      expect(text.code).toBe(0);
      expect(text.stdout.trim().split('\n')).toEqual(['v1', 'v2']);
      const warnings = text.stderr.trim().split('\n');
      expect(warnings).toEqual([
        `regtopo: warning: skipped tag-list entry that is not a valid tag: ${JSON.stringify(EVIL_ENTRY)}`,
        'regtopo: warning: skipped tag-list entry that is not a valid tag: "../escape"',
        'regtopo: warning: skipped tag-list entry that is not a valid tag: "42"',
      ]);
      const json = await runCli(['tags', `${front.host}/${repo}`, '--output', 'json']);
      expect(json.code).toBe(0);
      expect(json.json()).toEqual({ repository: `${front.host}/${repo}`, tags: ['v1', 'v2'], skipped: [EVIL_ENTRY, '../escape', '42'] });
      noTraversal();
    });

    it('mirroring never requests a path built from a bad entry and reports it', async () => {
      front.reset();
      front.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'rewriteBody', rewrite: injectEvilTag } });
      const archive = await startTestRegistry('plain');
      try {
        const yaml = stringify({
          version: 1,
          registries: { archive: { role: 'archive', url: archive.url } },
          upstreams: { dockerhub: { url: front.url } },
          mirrors: { rules: [{ name: 'all', repository: repo, target: 'archive', include: ['.*'] }] },
        });
        const config = requireValidTopology(parseTopology(yaml, 'mirror-trust.yaml', { environ: {} }));
        const report = await mirror(config, { clientOptions: { retry: retryFast } });
        expect(report.tags.map((t) => [t.tag, t.action])).toEqual([['v1', 'copied'], ['v2', 'copied']]);
        expect(report.invalidTags).toEqual([
          { rule: 'all', source: 'upstream', entry: EVIL_ENTRY },
          { rule: 'all', source: 'upstream', entry: '../escape' },
          { rule: 'all', source: 'upstream', entry: '42' },
        ]);
        const { formatReport } = await import('../../src/ops/mirror/report.js');
        expect(formatReport(report)).toContain(`all: skipped upstream tag-list entry that is not a valid tag: ${JSON.stringify(EVIL_ENTRY)}`);
        noTraversal();
      } finally {
        await archive.stop();
      }
    });

    it('referrers whose digest is not a digest are skipped and reported', async () => {
      front.reset();
      const valid = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: built.digest, size: built.manifest.length, artifactType: 'application/x-test' };
      const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ ...valid, digest: 'sha256:../../../secret/manifests/latest' }, valid, { digest: 42 }] };
      front.addRule({ method: 'GET', path: /\/referrers\//, fault: { kind: 'generatedBody', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: () => Readable.from([JSON.stringify(index)]) } });
      const client = new RegistryClient({ credentials: staticCredentials({}) });
      const invalid: string[] = [];
      try {
        const result = await listReferrers(client.repository({ registry: front.host, repository: repo }), built.digest, undefined, { onInvalidReferrer: (raw) => invalid.push(raw) });
        expect(result).toEqual({ referrers: [valid], source: 'api' });
        expect(invalid).toEqual([JSON.stringify(index.manifests[0]), '{"digest":42}']);
        // Reading what was listed only ever asks for valid digests.
        for (const d of result.referrers) await client.repository({ registry: front.host, repository: repo }).headManifest(d.digest);
      } finally {
        await client.close();
      }
      noTraversal();
    });

    it('a request path with a dot segment is refused before it is sent', async () => {
      front.reset();
      const client = new RegistryClient({ credentials: staticCredentials({}) });
      try {
        const err = (await client.repository({ registry: front.host, repository: repo }).getManifest('x/../../../secret/manifests/latest').catch((e: unknown) => e)) as RegtopoError;
        expect(err.code).toBe('E_REF_INVALID');
        expect(err.message).toContain('refusing request path with a ".." segment');
        const encoded = (await client.repository({ registry: front.host, repository: repo }).getManifest('%2e%2e').catch((e: unknown) => e)) as RegtopoError;
        expect(encoded.code).toBe('E_REF_INVALID');
      } finally {
        await client.close();
      }
      expect(front.requests).toEqual([]);
    });
  });
});
