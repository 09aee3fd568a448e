import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { mirror } from '../../src/ops/mirror/run.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason('token');

describe.skipIf(skip)('mirror from an upstream with a token service (as Docker Hub: auth.docker.io)', () => {
  let upstream: TestRegistry;
  let privateUpstream: TestRegistry;
  let archive: TestRegistry;
  const repo = `library/${uniqueRepo('tok').replace('/', '-')}`;

  beforeAll(async () => {
    [upstream, privateUpstream, archive] = await Promise.all([
      // Public images: anonymous callers get pull tokens, as on Docker Hub.
      startTestRegistry('token', { tokenAnonymous: [{ repo: '**', actions: ['pull'] }] }),
      // Private images: only a logged-in user may pull.
      startTestRegistry('token'),
      startTestRegistry('plain'),
    ]);
    const image = buildImage({ layers: [3000] });
    for (const reg of [upstream, privateUpstream]) {
      await pushImage(reg.url, repo, '1.0.0', image, { auth: { username: reg.username!, password: reg.password! } });
    }
  });
  afterAll(async () => {
    await Promise.all([upstream?.stop(), privateUpstream?.stop(), archive?.stop()]);
  });

  const topology = (url: string, withCredentials: boolean) => requireValidTopology(parseTopology([
    'version: 1',
    'registries:',
    `  archive: { role: archive, url: "${archive.url}" }`,
    'upstreams:',
    `  dockerhub: { url: "${url}"${withCredentials ? ', credentials: { env: { username: HUB_USER, password: HUB_TOKEN } }' : ''} }`,
    'mirrors:',
    '  rules:',
    `    - { name: img, repository: ${repo}, target: archive, tags: ['1.0.0'] }`,
    '',
  ].join('\n'), 'registries.yaml', { environ: {} }));

  it('anonymous: fetches a pull token and mirrors; a second run is HEADs only', async () => {
    const ts = upstream.tokenServer!;
    ts.reset();
    const opts = { clientOptions: { fallbackCredentials: staticCredentials({}) } };
    const first = await mirror(topology(upstream.url, false), opts);
    expect(first.tags.map((t) => t.action)).toEqual(['copied']);
    expect(ts.requests.every((r) => !r.hadAuthorization && r.status === 200)).toBe(true);
    expect(ts.requests.map((r) => r.scopes.join(' '))).toContain(`repository:${repo}:pull`);
    const second = await mirror(topology(upstream.url, false), opts);
    expect(second.tags.map((t) => t.action)).toEqual(['skipped']);
    expect((await rawGetManifest(archive.url, repo, '1.0.0')).status).toBe(200);
  });

  it('private upstream: credentials from the topology\'s env reference; without them the tag fails cleanly', async () => {
    const env = { HUB_USER: privateUpstream.username!, HUB_TOKEN: privateUpstream.password! };
    const denied = await mirror(topology(privateUpstream.url, false), { clientOptions: { fallbackCredentials: staticCredentials({}) } });
    expect(denied.tags[0]!.action).toBe('failed');
    expect(denied.tags[0]!.error!.code).toBe('E_UNAUTHORIZED');
    const ok = await mirror(topology(privateUpstream.url, true), { clientOptions: { env, fallbackCredentials: staticCredentials({}) } });
    expect(ok.tags[0]!.action).toMatch(/copied|skipped/);
    expect(privateUpstream.tokenServer!.requests.some((r) => r.user === privateUpstream.username && r.status === 200)).toBe(true);
  });
});
