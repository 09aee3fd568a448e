import { describe, expect, it } from 'vitest';
import { Reference } from '../../src/ref/reference.js';
import { parseLocation } from '../../src/ref/location.js';
import { apiHost, credentialKey, isLoopbackHost } from '../../src/ref/registry-host.js';
import { RegtopoError } from '../../src/errors.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('Reference.parse', () => {
  it.each([
    ['alpine', 'docker.io', 'library/alpine', undefined, undefined],
    ['alpine:3.20', 'docker.io', 'library/alpine', '3.20', undefined],
    ['bitnami/redis', 'docker.io', 'bitnami/redis', undefined, undefined],
    ['docker.io/alpine', 'docker.io', 'library/alpine', undefined, undefined],
    ['index.docker.io/library/alpine:edge', 'docker.io', 'library/alpine', 'edge', undefined],
    ['registry-1.docker.io/alpine', 'docker.io', 'library/alpine', undefined, undefined],
    ['localhost/app', 'localhost', 'app', undefined, undefined],
    ['localhost:5000/team/app:v1', 'localhost:5000', 'team/app', 'v1', undefined],
    ['127.0.0.1:5000/a/b/c:1.0-rc_1', '127.0.0.1:5000', 'a/b/c', '1.0-rc_1', undefined],
    ['[::1]:5000/app', '[::1]:5000', 'app', undefined, undefined],
    [`ghcr.io/org/app@${D}`, 'ghcr.io', 'org/app', undefined, D],
    [`ghcr.io/org/app:v2@${D}`, 'ghcr.io', 'org/app', 'v2', D],
    ['Registry.Example.com/app', 'registry.example.com', 'app', undefined, undefined],
    ['my-registry.io/a__b/c.d/e-f', 'my-registry.io', 'a__b/c.d/e-f', undefined, undefined],
  ])('%s', (input, registry, repository, tag, digest) => {
    const ref = Reference.parse(input);
    expect(ref.registry).toBe(registry);
    expect(ref.repository).toBe(repository);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
    expect(Object.isFrozen(ref)).toBe(true);
  });

  it.each([
    ['', 'empty reference'],
    ['UPPER/app', 'must be lowercase'],
    ['example.com/App', 'must be lowercase'],
    ['example.com/a/../b', 'invalid repository component ".."'],
    ['example.com/a//b', 'invalid repository component ""'],
    ['example.com/app:-bad', 'invalid tag "-bad"'],
    [`example.com/app@sha256:${'a'.repeat(63)}`, 'invalid digest'],
    [`example.com/app@sha256:${'A'.repeat(64)}`, 'invalid digest'],
    ['example.com/app@md5:abc', 'invalid digest'],
    [`example.com/${'a'.repeat(256)}`, 'longer than 255'],
    ['exa_mple.com/app', 'invalid registry host "exa_mple.com"'],
  ])('rejects %j', (input, message) => {
    let err: unknown;
    try { Reference.parse(input); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RegtopoError);
    expect((err as RegtopoError).code).toBe('E_REF_INVALID');
    expect((err as Error).message).toContain(message);
  });

  it('formats back and derives variants without mutation', () => {
    const ref = Reference.parse('localhost:5000/app:v1');
    expect(ref.toString()).toBe('localhost:5000/app:v1');
    expect(ref.withDigest(D).toString()).toBe(`localhost:5000/app@${D}`);
    expect(ref.pinned(D).toString()).toBe(`localhost:5000/app:v1@${D}`);
    expect(ref.withTag('v2').reference).toBe('v2');
    expect(ref.tag).toBe('v1');
    expect(Reference.parse('alpine').toString()).toBe('docker.io/library/alpine');
    expect(Reference.parse('alpine').reference).toBe('latest');
    expect(Reference.parse(`alpine:3@${D}`).reference).toBe(D);
  });
});

describe('registry hosts', () => {
  it('maps Docker Hub to its endpoint and credential key in one place', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(credentialKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(credentialKey('ghcr.io')).toBe('ghcr.io');
  });
  it.each([['localhost:5000', true], ['127.0.0.1', true], ['127.8.9.10:80', true], ['[::1]:5000', true], ['10.0.0.1:5000', false], ['localhost.example.com', false], ['128.0.0.1', false]])(
    'loopback %s → %s', (host, loopback) => expect(isLoopbackHost(host)).toBe(loopback));
});

describe('parseLocation', () => {
  it('parses OCI layouts, including directories with colons', () => {
    expect(parseLocation('oci:/tmp/x:v1')).toEqual({ kind: 'oci', dir: '/tmp/x', tag: 'v1', digest: undefined });
    expect(parseLocation('oci:/tmp/x')).toEqual({ kind: 'oci', dir: '/tmp/x', tag: undefined, digest: undefined });
    expect(parseLocation('oci:/tmp/a:b/c:v2')).toEqual({ kind: 'oci', dir: '/tmp/a:b/c', tag: 'v2', digest: undefined });
    expect(parseLocation(`oci:/tmp/x@${D}`)).toEqual({ kind: 'oci', dir: '/tmp/x', tag: undefined, digest: D });
  });
  it('accepts docker:// prefixes as skopeo users type them', () => {
    const loc = parseLocation('docker://localhost:5000/app:v1');
    expect(loc.kind === 'registry' && loc.ref.toString()).toBe('localhost:5000/app:v1');
  });
  it('rejects a layout without a directory', () => {
    expect(() => parseLocation('oci::v1')).toThrow(/missing directory/);
  });
});
