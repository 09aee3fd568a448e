import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology, parseTopology, requireValidTopology } from '../../../src/topology/index.js';
import { report, yaml } from './yaml-text.js';

const EXAMPLE = join(import.meta.dirname, '../../../registries.yaml');

const OVERLAID = yaml`
  version: 1
  registries:
    prod: { role: prod, url: http://127.0.0.1:5104 }
  upstreams:
    quay: { url: https://quay.io }
  environments:
    staging:
      registries:
        prod:
          url: http://prod.staging.internal
          credentials: { helper: pass }
    test:
      upstreams:
        dockerhub: { url: http://127.0.0.1:5108, insecure: true }
`;

describe('environment overlays', () => {
  it('leaves the base file untouched without an environment', async () => {
    const r = await loadTopology({ path: EXAMPLE }, { environ: {} });
    expect(r.valid).toBe(true);
    const config = requireValidTopology(r);
    expect(config.environment).toBeUndefined();
    expect(config.upstreams.dockerhub).toMatchObject({ url: 'https://registry-1.docker.io', scheme: 'https', host: 'docker.io' });
    expect(config.registries.prod).toMatchObject({ url: 'http://127.0.0.1:5104', host: '127.0.0.1:5104', scheme: 'http', replicas: ['prod-eu', 'prod-us'] });
  });

  it('test: Docker Hub is replaced by the local stand-in', async () => {
    const config = requireValidTopology(await loadTopology({ path: EXAMPLE }, { env: 'test', environ: {} }));
    expect(config.environment).toBe('test');
    expect(config.upstreams.dockerhub).toMatchObject({ url: 'http://127.0.0.1:5108', host: '127.0.0.1:5108', scheme: 'http' });
    expect(config.registries.prod!.url).toBe('http://127.0.0.1:5104');
  });

  it('production: same names, TLS endpoints and credential references', async () => {
    const r = await loadTopology({ path: EXAMPLE }, { env: 'production', environ: {} });
    expect(r.warnings).toEqual([]);
    const config = requireValidTopology(r);
    expect(config.registries.prod).toMatchObject({ url: 'https://registry.example.com', host: 'registry.example.com', role: 'prod', credentials: { type: 'helper', helper: 'ecr-login' } });
    expect(config.registries['ci-tests']!.credentials).toEqual({ type: 'env', usernameVar: 'CI_REGISTRY_USER', passwordVar: 'CI_REGISTRY_PASSWORD' });
    expect(config.registries.archive).toMatchObject({ ca: '/etc/regtopo/archive-ca.pem', credentials: { type: 'docker-config' } });
    // Only the credentials of Docker Hub change; its endpoint stays the predefined one.
    expect(config.upstreams.dockerhub).toMatchObject({ host: 'docker.io', credentials: { type: 'env', usernameVar: 'DOCKERHUB_USER', passwordVar: 'DOCKERHUB_TOKEN' } });
  });

  it('takes REGTOPO_ENV when no environment is passed, and the option over it', () => {
    expect(parseTopology(OVERLAID, 'f', { environ: { REGTOPO_ENV: 'test' } }).config?.upstreams.dockerhub!.insecure).toBe(true);
    expect(parseTopology(OVERLAID, 'f', { env: 'staging', environ: { REGTOPO_ENV: 'test' } }).config?.environment).toBe('staging');
    expect(parseTopology(OVERLAID, 'f', { environ: { REGTOPO_ENV: '' } }).config?.environment).toBeUndefined();
  });

  it('keeps what an overlay does not mention', () => {
    const config = parseTopology(OVERLAID, 'f', { env: 'staging', environ: {} }).config!;
    expect(config.registries.prod).toMatchObject({ role: 'prod', url: 'http://prod.staging.internal', insecure: false, credentials: { type: 'helper', helper: 'pass' } });
    expect(config.upstreams.quay!.url).toBe('https://quay.io');
    expect(config.upstreams.dockerhub!.url).toBe('https://registry-1.docker.io');
  });

  it('reports rule findings on overlaid values at the overlay line', () => {
    expect(report(OVERLAID, { env: 'staging' })).toEqual([
      'registries.yaml:10:14: warning [http-for-remote-host] plain http to non-loopback host prod.staging.internal: credentials and content travel unencrypted',
    ]);
    expect(report(OVERLAID)).toEqual([]);
  });

  it('an unknown environment is an error listing the known ones', () => {
    expect(report(OVERLAID, { env: 'stagign' })).toEqual([
      'registries.yaml:6:1: error [unknown-environment] unknown environment "stagign" (did you mean "staging"?); known: staging, test',
    ]);
    expect(report(OVERLAID, { env: 'qa' })).toEqual(['registries.yaml:6:1: error [unknown-environment] unknown environment "qa"; known: staging, test']);
    expect(report('version: 1\nregistries: {}\n', { env: 'qa' })).toEqual([
      'registries.yaml:1:1: error [unknown-environment] unknown environment "qa"; this file defines no environments',
    ]);
  });
});

describe('loading', () => {
  it('an unreadable file is E_CONFIG, not a validation result', async () => {
    await expect(loadTopology({ path: '/nonexistent/registries.yaml' })).rejects.toMatchObject({
      code: 'E_CONFIG',
      message: 'cannot read topology file /nonexistent/registries.yaml: no such file',
    });
  });

  it('requireValidTopology quotes the first error', () => {
    const r = parseTopology('version: 1\nregistries:\n  a: { role: ci }\n', 'registries.yaml', { environ: {} });
    expect(() => requireValidTopology(r)).toThrow(
      expect.objectContaining({
        code: 'E_TOPOLOGY_INVALID',
        message: 'topology file registries.yaml is invalid (1 error; run regtopo validate): registries.yaml:3:3: error [schema] missing required key "url"',
      }),
    );
  });

  it('fills defaults in one place', () => {
    const config = parseTopology(
      yaml`
        version: 1
        registries:
          archive: { role: archive, url: https://archive.example.com/, namespace: mirror }
        mirrors:
          rules: [{ name: alpine, repository: library/alpine, target: archive }]
      `,
      'f',
      { environ: {} },
    ).config!;
    expect(config.registries.archive).toEqual({
      name: 'archive', role: 'archive', url: 'https://archive.example.com', scheme: 'https', host: 'archive.example.com',
      insecure: false, namespace: 'mirror', limits: {}, replicas: [],
    });
    expect(config.mirrors.rules[0]).toEqual({
      name: 'alpine', upstream: 'dockerhub', repository: 'library/alpine', target: 'archive', path: 'library/alpine',
      tags: [], include: [], exclude: [], platforms: [], pins: {}, freeze: false,
    });
    expect(config.promotion).toEqual({ images: [], stages: [] });
  });
});
