import { describe, expect, it } from 'vitest';
import { Reference } from '../../../src/ref/reference.js';
import { assertWriteAllowed, parseTopology, registryByName, registryForAddress, resolveRegistryRef, type Topology, type WriteOperation } from '../../../src/topology/index.js';
import { yaml } from './yaml-text.js';

const config: Topology = parseTopology(
  yaml`
    version: 1
    registries:
      sandbox: { role: sandbox, url: http://127.0.0.1:5101 }
      ci: { role: ci, url: http://127.0.0.1:5102 }
      prod: { role: prod, url: http://127.0.0.1:5104, namespace: team }
      eu: { role: replica, url: http://127.0.0.1:5105, replicaOf: prod }
      archive: { role: archive, url: http://127.0.0.1:5107 }
      hub: { role: archive, url: https://index.docker.io, namespace: acme }
      shared-root: { role: ci, url: http://127.0.0.1:5104 }
  `,
  'registries.yaml',
  { environ: {} },
).config!;

const OPERATIONS: WriteOperation[] = ['copy', 'tag', 'promote', 'replicate', 'mirror'];
const ALLOWED: Record<string, WriteOperation[]> = {
  sandbox: ['copy', 'tag'],
  ci: ['copy', 'tag', 'promote'],
  prod: ['promote'],
  eu: ['replicate'],
  archive: ['mirror'],
};

describe('write authority', () => {
  it.each(Object.entries(ALLOWED))('%s accepts exactly %j', (name, allowed) => {
    const target = resolveRegistryRef(config, name, 'app:1');
    for (const op of OPERATIONS) {
      if (allowed.includes(op)) expect(assertWriteAllowed(config, target, op)?.name).toBe(name);
      else expect(() => assertWriteAllowed(config, target, op)).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    }
  });

  it('names the registry, role and rule when refusing', () => {
    expect(() => assertWriteAllowed(config, Reference.parse('127.0.0.1:5104/team/app:1'), 'copy')).toThrow(
      'refusing to copy into registry "prod" (role prod): prod is written only by promotion; declare a promotion stage into it and use regtopo promote [rule write-authority]',
    );
    expect(() => assertWriteAllowed(config, Reference.parse('127.0.0.1:5105/team/app:1'), 'tag')).toThrow(
      'refusing to tag into registry "eu" (role replica): replica is written only by replication from its prod; use: regtopo replicate --replica eu [rule write-authority]',
    );
    expect(() => assertWriteAllowed(config, Reference.parse('127.0.0.1:5107/library/alpine:3'), 'promote')).toThrow(
      'refusing to promote into registry "archive" (role archive): archive is written only by mirroring; use: regtopo mirror [rule write-authority]',
    );
  });

  it('matches the longest namespace on a shared endpoint', () => {
    expect(registryForAddress(config, { registry: '127.0.0.1:5104', repository: 'team/app' })?.name).toBe('prod');
    expect(registryForAddress(config, { registry: '127.0.0.1:5104', repository: 'team' })?.name).toBe('prod');
    // "teams" only shares a prefix with "team", not a path segment.
    expect(registryForAddress(config, { registry: '127.0.0.1:5104', repository: 'teams/app' })?.name).toBe('shared-root');
    expect(() => assertWriteAllowed(config, Reference.parse('127.0.0.1:5104/other/app:1'), 'copy')).not.toThrow();
  });

  it('folds Docker Hub aliases', () => {
    expect(registryForAddress(config, Reference.parse('docker.io/acme/app:1'))?.name).toBe('hub');
    expect(registryForAddress(config, { registry: 'registry-1.docker.io', repository: 'acme/app' })?.name).toBe('hub');
    expect(registryForAddress(config, Reference.parse('alpine:3'))).toBeUndefined();
  });

  it('allows hosts outside the topology, but localhost is the same host as 127.0.0.1', () => {
    expect(assertWriteAllowed(config, Reference.parse('127.0.0.1:5999/app:1'), 'copy')).toBeUndefined();
    // An alias used to walk around write authority; it names prod all the same.
    expect(() => assertWriteAllowed(config, Reference.parse('localhost:5104/team/app:1'), 'copy')).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
  });
});

describe('registry lookup', () => {
  it('registryByName returns the resolved endpoint', () => {
    expect(registryByName(config, 'prod')).toMatchObject({ name: 'prod', role: 'prod', host: '127.0.0.1:5104', scheme: 'http', namespace: 'team', insecure: false, replicas: ['eu'] });
  });

  it('registryByName refuses unknown names with a suggestion', () => {
    expect(() => registryByName(config, 'prd')).toThrow(expect.objectContaining({ code: 'E_CONFIG', message: 'no registry "prd" in the topology (did you mean "prod"?)' }));
    expect(() => registryByName(config, 'zzz')).toThrow('no registry "zzz" in the topology; known: sandbox, ci, prod, eu, archive, hub, shared-root');
  });

  it('resolveRegistryRef builds references under the namespace', () => {
    expect(resolveRegistryRef(config, 'prod', 'app').toString()).toBe('127.0.0.1:5104/team/app');
    expect(resolveRegistryRef(config, 'prod', 'app:1.2').toString()).toBe('127.0.0.1:5104/team/app:1.2');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(resolveRegistryRef(config, 'sandbox', `x/y@${digest}`).toString()).toBe(`127.0.0.1:5101/x/y@${digest}`);
    expect(resolveRegistryRef(config, 'hub', 'app:1').toString()).toBe('docker.io/acme/app:1');
    expect(() => resolveRegistryRef(config, 'prod', 'App')).toThrow(expect.objectContaining({ code: 'E_REF_INVALID' }));
  });
});

describe('write authority under every name of a registry', () => {
  const aliased: Topology = parseTopology(
    yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5102 }
        prod: { role: prod, url: http://localhost:5104 }
        eu: { role: replica, url: https://eu.example.com, replicaOf: prod }
        hub: { role: archive, url: https://registry-1.docker.io, namespace: acme }
    `,
    'registries.yaml',
    { environ: {} },
  ).config!;

  it.each([
    ['127.0.0.1:5104/app:1', 'prod'],
    ['localhost:5104/app:1', 'prod'],
    ['[::1]:5104/app:1', 'prod'],
    ['LOCALHOST:5104/app:1', 'prod'],
    ['eu.example.com:443/app:1', 'eu'],
    ['eu.example.com/app:1', 'eu'],
    ['docker.io/acme/app:1', 'hub'],
    ['index.docker.io/acme/app:1', 'hub'],
    ['registry-1.docker.io/acme/app:1', 'hub'],
  ])('%s is registry %s', (ref, name) => {
    expect(registryForAddress(aliased, Reference.parse(ref))?.name).toBe(name);
    expect(() => assertWriteAllowed(aliased, Reference.parse(ref), 'copy')).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
  });

  it('another port is another registry', () => {
    expect(registryForAddress(aliased, Reference.parse('localhost:5105/app:1'))).toBeUndefined();
    expect(registryForAddress(aliased, Reference.parse('eu.example.com:8443/app:1'))).toBeUndefined();
  });

  it('status set is allowed into sandbox and ci only: prod, replica and archive records come from their own writers', () => {
    expect(assertWriteAllowed(aliased, Reference.parse('127.0.0.1:5102/app:1'), 'status')?.name).toBe('ci');
    expect(() => assertWriteAllowed(aliased, Reference.parse('127.0.0.1:5104/app:1'), 'status')).toThrow('refusing to status into registry "prod" (role prod): prod is written only by promotion; declare a promotion stage into it and use regtopo promote [rule write-authority]');
    expect(() => assertWriteAllowed(aliased, Reference.parse('eu.example.com/app:1'), 'status')).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
    expect(() => assertWriteAllowed(aliased, Reference.parse('docker.io/acme/app:1'), 'status')).toThrow(expect.objectContaining({ code: 'E_POLICY' }));
  });
});

describe('write authority refusals say what may write there', () => {
  const staged = parseTopology(
    yaml`
      version: 1
      registries:
        ci: { role: ci, url: http://127.0.0.1:5202 }
        prod: { role: prod, url: http://127.0.0.1:5204 }
      promotion:
        stages:
          - { name: release, from: ci, to: prod, tags: [tested] }
          - { name: hotfix, from: ci, to: prod, tags: [hotfix] }
    `,
    'registries.yaml',
    { environ: {} },
  ).config!;

  it('a copy into prod names the promotion stages that write it', () => {
    expect(() => assertWriteAllowed(staged, Reference.parse('127.0.0.1:5204/app:1'), 'copy')).toThrow(
      'refusing to copy into registry "prod" (role prod): prod is written only by promotion; use: regtopo promote IMAGE --to release|hotfix [rule write-authority]',
    );
  });
});
