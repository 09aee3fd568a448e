/**
 * A keyless signature travels as cosign v3 stores it (an OCI 1.1 referrer holding the bundle) on a
 * registry without the referrers API (Distribution 2.8: the fallback tag), and verifies after being
 * read back the way a gate reads it: listReferrers, the referrer manifest, its bundle layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { parseManifest } from '../../src/registry/descriptor.js';
import { fallbackTag, listReferrers } from '../../src/registry/referrers.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import type { RegistryRepository } from '../../src/registry/registry-repository.js';
import { verifySigstoreBundle, type KeylessPolicy } from '../../src/signing/keyless.js';
import { buildImage, pushImage, rawGetManifest, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { BUNDLE_MEDIA_TYPE, createSigstorePki, GITHUB_ISSUER, pushBundleReferrer, RELEASE_WORKFLOW, type SigstoreTestPki } from '../support/sigstore-fixture.js';

const skip = registrySkipReason('plain');

async function readBundle(repo: RegistryRepository, referrerDigest: string): Promise<unknown> {
  const manifest = parseManifest(await repo.getManifest(referrerDigest), `${repo.description}@${referrerDigest}`);
  if (manifest.kind !== 'image') throw new Error(`referrer ${referrerDigest} is an index`);
  const layer = manifest.layers.find((l) => l.mediaType === BUNDLE_MEDIA_TYPE);
  if (!layer) throw new Error(`referrer ${referrerDigest} has no bundle layer`);
  const stream = await repo.openBlob(layer);
  return JSON.parse(Buffer.concat(await stream.toArray()).toString('utf8'));
}

describe.skipIf(skip)('keyless signature referrers on Distribution 2.8', () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let pki: SigstoreTestPki;
  let policy: KeylessPolicy;

  beforeAll(async () => {
    registry = await startTestRegistry('plain');
    client = new RegistryClient({ credentials: staticCredentials({}) });
    pki = await createSigstorePki();
    policy = { issuer: GITHUB_ISSUER, subject: /^https:\/\/github\.com\/acme\/app\//, trustedRoot: pki.trustedRoot };
  });
  afterAll(async () => {
    await client?.close();
    await registry?.stop();
  });

  it('a bundle pushed as a referrer is listed through the fallback tag and verifies for the image, and only the right one does', async () => {
    const name = uniqueRepo('keyless');
    const image = buildImage();
    const other = buildImage();
    await pushImage(registry.url, name, 'v1', image);
    const repo = client.repository({ registry: registry.host, repository: name });

    // The image's own signature, one copied over from another image, and one by another workflow.
    const good = await pushBundleReferrer(repo, image.descriptor, await pki.signImage({ digest: image.digest }));
    const copied = await pushBundleReferrer(repo, image.descriptor, await pki.signImage({ digest: other.digest }));
    const stranger = await pushBundleReferrer(repo, image.descriptor, await pki.signImage({ digest: image.digest, subject: 'https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main' }));

    const fallback = await rawGetManifest(registry.url, name, fallbackTag(image.digest));
    expect(fallback.status).toBe(200);
    expect(JSON.parse(fallback.bytes.toString()).manifests.map((d: { digest: string }) => d.digest)).toEqual([good.digest, copied.digest, stranger.digest]);

    const listed = await listReferrers(repo, image.digest, BUNDLE_MEDIA_TYPE);
    expect(listed.source).toBe('fallback-tag');
    expect(listed.referrers.map((d) => d.digest)).toEqual([good.digest, copied.digest, stranger.digest]);

    const verdicts = new Map<string, Awaited<ReturnType<typeof verifySigstoreBundle>>>();
    for (const referrer of listed.referrers) verdicts.set(referrer.digest, await verifySigstoreBundle(await readBundle(repo, referrer.digest), image.digest, policy));
    expect(verdicts.get(good.digest)).toMatchObject({ ok: true, identity: { issuer: GITHUB_ISSUER, subject: RELEASE_WORKFLOW } });
    expect(verdicts.get(copied.digest)).toMatchObject({ ok: false, reason: expect.stringMatching(/^digest mismatch/) });
    expect(verdicts.get(stranger.digest)).toMatchObject({ ok: false, reason: expect.stringMatching(/^certificate subject "https:\/\/github.com\/evil/) });
  });

  it('an image without a bundle referrer lists none', async () => {
    const name = uniqueRepo('keyless');
    const image = buildImage();
    await pushImage(registry.url, name, 'v1', image);
    const listed = await listReferrers(client.repository({ registry: registry.host, repository: name }), image.digest, BUNDLE_MEDIA_TYPE);
    expect(listed).toEqual({ referrers: [], source: 'none', lacksApi: true });
  });
});
