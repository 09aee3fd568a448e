import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/ref/digest.js';
import { parseManifest, sniffMediaType } from '../../src/registry/descriptor.js';
import { MediaType } from '../../src/registry/media-types.js';
import { matchesPlatform, parsePlatform } from '../../src/ops/platform-filter.js';

const raw = (doc: unknown, mediaType: string) => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, ...(doc as object) }));
  return { bytes, mediaType, digest: digestOf(bytes) };
};
const D = `sha256:${'b'.repeat(64)}`;

describe('parseManifest', () => {
  it('refuses Docker schema 1 with a clear message', () => {
    for (const mt of [MediaType.DockerSchema1, MediaType.DockerSchema1Signed]) {
      expect(() => parseManifest(raw({ schemaVersion: 1, name: 'x' }, mt), 'reg/x:old')).toThrow(/reg\/x:old: Docker schema 1 manifests are not supported/);
    }
  });
  it('refuses unknown media types and malformed documents', () => {
    expect(() => parseManifest(raw({}, 'application/vnd.example+json'), 'w')).toThrow('w: unsupported manifest media type "application/vnd.example+json"');
    expect(() => parseManifest({ bytes: Buffer.from('{nope'), mediaType: MediaType.OciManifest, digest: D }, 'w')).toThrow('w: manifest is not valid JSON');
    expect(() => parseManifest(raw({ manifests: 'x' }, MediaType.OciIndex), 'w')).toThrow('w: index has no "manifests" array');
  });
  it('validates every descriptor digest before anything uses it', () => {
    const bad = { mediaType: MediaType.OciConfig, size: 2, digest: 'sha256:../../etc/passwd' };
    expect(() => parseManifest(raw({ config: bad, layers: [] }, MediaType.OciManifest), 'w')).toThrow(/invalid w config digest/);
    expect(() => parseManifest(raw({ config: { ...bad, digest: D, size: -1 } }, MediaType.OciManifest), 'w')).toThrow('w config: descriptor size is not a non-negative integer');
  });
  it('parses images, indexes, artifacts with subject', () => {
    const cfg = { mediaType: MediaType.OciEmpty, size: 2, digest: D };
    const image = parseManifest(raw({ config: cfg, layers: [cfg], subject: cfg, artifactType: 'application/x' }, MediaType.OciManifest), 'w');
    expect(image).toMatchObject({ kind: 'image', artifactType: 'application/x', subject: cfg, layers: [cfg] });
    const index = parseManifest(raw({ manifests: [{ ...cfg, mediaType: MediaType.OciManifest, platform: { os: 'linux', architecture: 'arm64' } }] }, MediaType.DockerManifestList), 'w');
    expect(index.kind).toBe('index');
  });
  it('sniffs media types for stores without headers', () => {
    expect(sniffMediaType(Buffer.from(JSON.stringify({ mediaType: MediaType.DockerManifest })))).toBe(MediaType.DockerManifest);
    expect(sniffMediaType(Buffer.from(JSON.stringify({ manifests: [] })))).toBe(MediaType.OciIndex);
    expect(sniffMediaType(Buffer.from(JSON.stringify({ schemaVersion: 1 })))).toBe(MediaType.DockerSchema1);
    expect(sniffMediaType(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('platform selection', () => {
  const d = (os: string, architecture: string, variant?: string) => ({ mediaType: 'x', size: 1, digest: D, platform: { os, architecture, variant } });
  it('matches os/arch and, when given, the variant', () => {
    expect(matchesPlatform(d('linux', 'arm64', 'v8'), [parsePlatform('linux/arm64')])).toBe(true);
    expect(matchesPlatform(d('linux', 'arm64', 'v8'), [parsePlatform('linux/arm64/v8')])).toBe(true);
    expect(matchesPlatform(d('linux', 'arm', 'v7'), [parsePlatform('linux/arm/v6')])).toBe(false);
    expect(matchesPlatform({ mediaType: 'x', size: 1, digest: D }, [parsePlatform('linux/amd64')])).toBe(false);
  });
  it('rejects malformed selectors', () => {
    expect(() => parsePlatform('linux')).toThrow('invalid platform "linux": expected os/arch[/variant], e.g. linux/arm64/v8');
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(/invalid platform/);
  });
});
