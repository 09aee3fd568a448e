/**
 * burstGuess: how many connections a copy readies for its blob round from the root's HEAD alone.
 */
import { describe, expect, it } from 'vitest';
import { burstGuess } from '../../src/ops/copy.js';
import { MOUNT_JOBS } from '../../src/ops/copy-blob.js';

const descriptor = (mediaType: string, size: number) => ({ mediaType, digest: `sha256:${'a'.repeat(64)}`, size });
const compactImage = (layers: number) => JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: descriptor('application/vnd.oci.image.config.v1+json', 1234),
  layers: Array.from({ length: layers }, () => descriptor('application/vnd.oci.image.layer.v1.tar+gzip', 16_777_216)),
});

describe('burstGuess', () => {
  it.each([0, 1, 4, 8, 14])('a compact image manifest of %i layers: one connection per blob (layers and config)', (layers) => {
    const size = Buffer.byteLength(compactImage(layers));
    expect(burstGuess({ ...descriptor('application/vnd.oci.image.manifest.v1+json', size) }, MOUNT_JOBS)).toBe(layers + 1);
  });

  it('never more than the blob round runs at once, and at least one', () => {
    const huge = Buffer.byteLength(compactImage(60));
    expect(burstGuess(descriptor('application/vnd.oci.image.manifest.v1+json', huge), MOUNT_JOBS)).toBe(MOUNT_JOBS);
    expect(burstGuess(descriptor('application/vnd.oci.image.manifest.v1+json', huge), 2)).toBe(2);
    expect(burstGuess(descriptor('application/vnd.oci.image.manifest.v1+json', 10), MOUNT_JOBS)).toBe(1);
  });

  it('an index lists children whose blobs it does not count: the whole round', () => {
    expect(burstGuess(descriptor('application/vnd.oci.image.index.v1+json', 400), MOUNT_JOBS)).toBe(MOUNT_JOBS);
    expect(burstGuess(descriptor('application/vnd.docker.distribution.manifest.list.v2+json', 400), 4)).toBe(4);
  });
});
