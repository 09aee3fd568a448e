import { describe, expect, it } from 'vitest';
import { RegtopoError } from '../../src/errors.js';
import { digestOf } from '../../src/ref/digest.js';
import { parseDescriptor, parseManifest, type Descriptor } from '../../src/registry/descriptor.js';
import { describeValue, resolveManifestType } from '../../src/registry/manifest-validation.js';
import { isNonDistributableType, MediaType as MT } from '../../src/registry/media-types.js';

const D = `sha256:${'c'.repeat(64)}`;
const desc = { mediaType: MT.OciManifest, digest: D, size: 10 };
const index = (extra: object = {}) => ({ schemaVersion: 2, manifests: [desc], ...extra });
const image = (extra: object = {}) => ({ schemaVersion: 2, config: { ...desc, mediaType: MT.OciConfig }, layers: [], ...extra });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as RegtopoError).code;
  }
  return undefined;
}

describe('which media type a manifest document is', () => {
  it.each([
    ['own mediaType wins over a Docker claim of the same kind', index({ mediaType: MT.OciIndex }), MT.DockerManifestList, MT.OciIndex],
    ['own mediaType wins over an OCI claim of the same kind', index({ mediaType: MT.DockerManifestList }), MT.OciIndex, MT.DockerManifestList],
    ['no own mediaType, Docker claim: the valid OCI type of its shape', index(), MT.DockerManifestList, MT.OciIndex],
    ['no own mediaType, Docker image claim: OCI manifest', image(), MT.DockerManifest, MT.OciManifest],
    ['no own mediaType, OCI claim of the right kind: the claim', image(), MT.OciManifest, MT.OciManifest],
    ['nothing claimed: the shape decides', index(), undefined, MT.OciIndex],
    ['a generic claim with a typed document: the document', image({ mediaType: MT.DockerManifest }), 'application/json', MT.DockerManifest],
  ])('%s', (_name, doc, claimed, expected) => {
    expect(resolveManifestType(doc, claimed, 'w').mediaType).toBe(expected);
  });

  it.each([
    ['an index with layers', index({ mediaType: MT.OciIndex, layers: [] })],
    ['an index with config', index({ config: desc })],
    ['an image with manifests', image({ mediaType: MT.OciManifest, manifests: [] })],
    ['an image-typed document shaped as an index', index({ mediaType: MT.DockerManifest })],
    ['an index-typed document shaped as an image', image({ mediaType: MT.OciIndex })],
    ['an index served as an image', index({ mediaType: MT.OciIndex }), MT.OciManifest],
    ['an untyped index served as an image', index(), MT.DockerManifest],
    ['schemaVersion 3', image({ schemaVersion: 3 })],
    ['schemaVersion "2" as a string', image({ schemaVersion: '2' })],
    ['a mediaType that is not a string', image({ mediaType: 7 })],
    ['neither manifests nor config', { schemaVersion: 2 }],
  ])('refuses %s as invalid content', (_name, doc, claimed?: string) => {
    expect(codeOf(() => resolveManifestType(doc as Record<string, unknown>, claimed, 'w'))).toBe('E_CONTENT_INVALID');
  });

  it('refuses schema 1 by field, by own type or by claim as unsupported', () => {
    expect(() => resolveManifestType({ schemaVersion: 1 }, undefined, 'w')).toThrow('w: Docker schema 1 manifests are not supported');
    expect(codeOf(() => resolveManifestType(image({ mediaType: MT.DockerSchema1Signed }), undefined, 'w'))).toBe('E_MANIFEST_UNSUPPORTED');
    expect(codeOf(() => resolveManifestType(image(), MT.DockerSchema1, 'w'))).toBe('E_MANIFEST_UNSUPPORTED');
    expect(codeOf(() => resolveManifestType(image({ mediaType: 'application/vnd.example+json' }), undefined, 'w'))).toBe('E_MANIFEST_UNSUPPORTED');
  });
});

describe('parseManifest against the descriptor that pointed to it', () => {
  const raw = (doc: unknown, mediaType: string) => {
    const bytes = Buffer.from(JSON.stringify(doc));
    return { bytes, mediaType, digest: digestOf(bytes) };
  };
  it('checks the pointer digest, size and kind', () => {
    const m = raw(image({ mediaType: MT.OciManifest }), MT.OciManifest);
    const ptr: Descriptor = { mediaType: MT.OciManifest, digest: m.digest, size: m.bytes.length };
    expect(parseManifest(m, 'w', ptr).kind).toBe('image');
    expect(codeOf(() => parseManifest(m, 'w', { ...ptr, size: ptr.size + 1 }))).toBe('E_SIZE_MISMATCH');
    expect(codeOf(() => parseManifest(m, 'w', { ...ptr, digest: D }))).toBe('E_DIGEST_MISMATCH');
    expect(codeOf(() => parseManifest(m, 'w', { ...ptr, mediaType: MT.DockerManifestList }))).toBe('E_CONTENT_INVALID');
    // Flavour differences are not contradictions: the document's own type is what gets pushed.
    expect(parseManifest(m, 'w', { ...ptr, mediaType: MT.DockerManifest }).mediaType).toBe(MT.OciManifest);
    expect(codeOf(() => parseManifest(m, 'w', { ...ptr, mediaType: MT.DockerSchema1Signed }))).toBe('E_MANIFEST_UNSUPPORTED');
  });
});

describe('descriptor messages never show a JavaScript value', () => {
  it.each([
    [undefined], [null], [[]], ['text'], [{}], [{ mediaType: 5 }], [{ mediaType: 'x', size: 'big' }], [{ mediaType: 'x', size: 1.5 }],
    [{ mediaType: 'x', size: 1 }], [{ mediaType: 'x', size: 1, digest: {} }], [{ mediaType: 'x', size: 1, digest: 'sha256:zz' }],
    [{ mediaType: 'x', size: 1, digest: D, urls: 'http://x' }], [{ mediaType: 'x', size: 1, digest: D, annotations: { a: 1 } }],
    [{ mediaType: 'x', size: 1, digest: D, platform: 'linux' }], [{ mediaType: 'x', size: Number.NaN, digest: D }],
    [{ mediaType: 'x', size: 1, digest: D, platform: { os: 'linux' } }], [{ mediaType: 'x', size: 1, digest: D, platform: { os: 'linux', architecture: 'arm', variant: 7 } }],
  ])('%j', (value) => {
    let err: RegtopoError | undefined;
    try {
      parseDescriptor(value, 'm layers[0]');
    } catch (e) {
      err = e as RegtopoError;
    }
    expect(err?.code).toBe('E_CONTENT_INVALID');
    expect(err?.message).toContain('layers[0]');
    expect(err?.message).not.toMatch(/undefined|\[object|NaN|function/);
  });
  it('describes values as a reader would', () => {
    expect([undefined, null, [], {}, 'ab', 3].map(describeValue)).toEqual(['missing', 'null', 'an array', 'an object', '"ab"', '3']);
    expect(describeValue('x'.repeat(200)).length).toBeLessThan(90);
  });
});

describe('non-distributable media types', () => {
  it.each([
    [MT.DockerForeignLayer, true], ['application/vnd.docker.image.rootfs.foreign.diff.tar', true], [MT.OciNonDistributableLayer, true],
    [MT.OciNonDistributableLayerGzip, true], [MT.OciNonDistributableLayerZstd, true], [MT.OciLayerGzip, false],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', false],
  ])('%s → %s', (mediaType, expected) => {
    expect(isNonDistributableType(mediaType)).toBe(expected);
  });
});
