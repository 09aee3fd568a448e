import { describe, expect, it } from 'vitest';
import { RECORD_ARTIFACT_TYPE } from '../../../src/ops/promotion/records.js';
import { isReferrerTag, kindLabel, referrerKind } from '../../../src/ops/referrers/kinds.js';

describe('referrer kinds', () => {
  it('names cosign signatures, sigstore bundles, SBOMs, attestations and regtopo records from their types', () => {
    expect(referrerKind({ artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' })).toBe('signature');
    expect(referrerKind({ artifactType: 'application/vnd.oci.image.config.v1+json', layerTypes: ['application/vnd.dev.cosign.simplesigning.v1+json'] })).toBe('signature');
    expect(referrerKind({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' })).toBe('sigstore-bundle');
    expect(kindLabel('sigstore-bundle')).toBe('signature (sigstore bundle)');
    expect(referrerKind({ artifactType: 'application/spdx+json' })).toBe('sbom');
    expect(referrerKind({ artifactType: 'application/vnd.cyclonedx+json' })).toBe('sbom');
    expect(referrerKind({ layerTypes: ['application/vnd.dsse.envelope.v1+json'] })).toBe('attestation');
    expect(referrerKind({ artifactType: 'application/vnd.in-toto+json' })).toBe('attestation');
    expect(referrerKind({ artifactType: RECORD_ARTIFACT_TYPE.status })).toBe('regtopo-record');
    expect(referrerKind({ artifactType: 'application/vnd.example.thing' })).toBe('artifact');
  });

  it('a cosign tag suffix decides the kind of an image with plain layer types', () => {
    expect(referrerKind({ layerTypes: ['application/octet-stream'], cosignSuffix: 'sbom' })).toBe('sbom');
    expect(referrerKind({ layerTypes: ['application/octet-stream'], cosignSuffix: 'att' })).toBe('attestation');
    expect(referrerKind({ layerTypes: ['application/octet-stream'], cosignSuffix: 'sig' })).toBe('signature');
  });

  it('referrer tags are the fallback tag and cosign tags of a sha256 digest, nothing else', () => {
    const hex = 'ab'.repeat(32);
    for (const t of [`sha256-${hex}`, `sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`]) expect(isReferrerTag(t)).toBe(true);
    for (const t of [`sha256-${hex}.foo`, `sha256-${hex.slice(2)}`, 'latest', `sha512-${hex}`, `sha256-${hex.toUpperCase()}`]) expect(isReferrerTag(t)).toBe(false);
  });
});
