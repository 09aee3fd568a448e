/**
 * Signature gates against real registries (Distribution 2.8, no referrers API): cosign-format
 * signatures made in the test with node:crypto keys, stored under the `.sig` tag or as an OCI 1.1
 * referrer listed in the fallback tag. Only a signature by the gate's key over a payload naming the
 * exact digest passes; its manifest digest is the gate's evidence and part of the plan hash.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setStatus, type PromotionContext } from '../../src/ops/promotion/index.js';
import { approve } from '../../src/ops/promotion/approvals.js';
import { planPromotion } from '../../src/ops/promotion/plan.js';
import { promote } from '../../src/ops/promotion/promote.js';
import type { SignatureGateResult } from '../../src/ops/promotion/signature-gates.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { addToFallbackIndex, makeCosignKey, pushReferrer, pushReferrerSignature, pushSigTagSignature, signatureLayer, simpleSigningPayload, signPayload } from '../support/cosign-signatures.js';
import { buildImage, buildIndex, pushImage, rawGetManifest } from '../support/images.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries, type TopologyOptions } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { BUNDLE_MEDIA_TYPE, createSigstorePki, GITHUB_ISSUER, RELEASE_WORKFLOW } from '../support/sigstore-fixture.js';

const skip = registrySkipReason();
const releaseKey = makeCosignKey('ecdsa');
const otherKey = makeCosignKey('ecdsa');

describe.skipIf(skip)('signature gates against real registries', () => {
  let regs: PromotionRegistries;
  const contexts: PromotionContext[] = [];
  beforeAll(async () => {
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.client.close()));
    await regs?.stop();
  });

  async function setup(options: TopologyOptions = {}) {
    const fx = promotionFixture(regs, {
      noApproval: true,
      keys: { 'release-signer': JSON.stringify(releaseKey.publicPem) },
      prodGates: '[{signature: {key: release-signer}}]',
      ...options,
    });
    const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
    contexts.push(ctx);
    const built = await pushVersioned(regs.tests, fx.repo, 'tested', '1.0.0');
    const name = `${regs.tests.host}/${fx.repo}`;
    return { ...fx, ctx, built, name };
  }
  const signatureGate = (gates: unknown[]) => gates.find((g) => typeof g === 'object' && g !== null && 'signature' in g) as SignatureGateResult;

  it('a signed image promotes: the gate passes on the .sig signature, which is the plan evidence', async () => {
    const { ctx, built, name, repo } = await setup();
    let plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(false);
    expect(signatureGate(plan.gates)).toMatchObject({ satisfied: false, reason: `signature by release-signer missing for ${built.digest} (no cosign signature found)` });

    const sig = await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(releaseKey, built.digest, name)]);
    plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(true);
    expect(signatureGate(plan.gates)).toMatchObject({
      signature: { key: 'release-signer', fingerprint: expect.stringMatching(/^SHA256:/) },
      satisfied: true, evidence: sig.digest, source: 'sig-tag', reason: 'signature by release-signer',
    });
    expect(plan.evidence).toEqual([sig.digest]);

    const report = await promote(ctx, { stage: 'prod' });
    expect(report.results[0]).toMatchObject({ outcome: 'promoted', digest: built.digest });
    expect((await rawGetManifest(regs.prod.url, repo, 'tested')).digest).toBe(built.digest);
  });

  it('the plan hash changes when the signature evidence changes (a second signature appended to .sig)', async () => {
    const { ctx, built, name, repo } = await setup();
    await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(releaseKey, built.digest, name)]);
    const first = await planPromotion(ctx, 'app', 'prod');
    expect((await planPromotion(ctx, 'app', 'prod')).planHash).toBe(first.planHash);
    // `cosign sign` again appends a layer: a new .sig manifest, so new evidence and a new plan.
    const again = await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(otherKey, built.digest, name)]);
    const second = await planPromotion(ctx, 'app', 'prod');
    expect(second.gatesPassed).toBe(true);
    expect(second.evidence).toEqual([again.digest]);
    expect(second.planHash).not.toBe(first.planHash);
  });

  it('an approval binds the signature evidence: a plan resting on another signature needs a new approval', async () => {
    const { ctx, built, name, repo } = await setup({ noApproval: false, approval: '{type: manual, approvers: [alice]}' });
    const input = { image: 'app', digest: built.digest, stage: 'prod' };
    // Nothing to approve before the gates pass.
    await expect(approve({ ...ctx, by: 'alice' }, input)).rejects.toMatchObject({ code: 'E_GATE_FAILED' });
    await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(releaseKey, built.digest, name)]);
    expect((await approve({ ...ctx, by: 'alice' }, input)).state.state).toBe('approved');
    await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(otherKey, built.digest, name)]);
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(true);
    expect(plan.approval.state).toBe('pending');
    expect((await promote(ctx, { stage: 'prod' })).errorCode).toBe('E_APPROVAL_PENDING');
    expect((await approve({ ...ctx, by: 'alice' }, input)).state.state).toBe('approved');
    expect((await promote(ctx, { stage: 'prod' })).results[0]!.outcome).toBe('promoted');
  });

  it('a multi-platform index is gated on the signature of the index digest itself', async () => {
    const { ctx, name, repo } = await setup({ prodTargetTags: '[tested]' });
    const index = buildIndex([
      buildImage({ layers: [512], platform: { os: 'linux', architecture: 'amd64' } }),
      buildImage({ layers: [512], platform: { os: 'linux', architecture: 'arm64' } }),
    ]);
    await pushImage(regs.tests.url, repo, 'tested', index);
    const child = index.children[0]!;
    // A signature of a child platform image is not a signature of the index.
    await pushSigTagSignature(regs.tests.url, repo, child.digest, [signatureLayer(releaseKey, child.digest, name)]);
    expect((await planPromotion(ctx, 'app', 'prod')).gatesPassed).toBe(false);
    const sig = await pushSigTagSignature(regs.tests.url, repo, index.digest, [signatureLayer(releaseKey, index.digest, name)]);
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.source.digest).toBe(index.digest);
    expect(signatureGate(plan.gates)).toMatchObject({ satisfied: true, evidence: sig.digest });
    expect((await promote(ctx, { stage: 'prod' })).results[0]!.outcome).toBe('promoted');
  });

  it('a signature for another digest does not satisfy the gate', async () => {
    const { ctx, built, name, repo } = await setup();
    const other = await pushVersioned(regs.tests, repo, 'other', '2.0.0');
    // Signed properly, by the right key, but for the other image; placed under this digest's .sig tag.
    await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(releaseKey, other.digest, name)]);
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(false);
    expect(signatureGate(plan.gates).reason).toBe(`signature by release-signer missing for ${built.digest} (1 signature(s) found, 1 for another digest)`);
    const report = await promote(ctx, { stage: 'prod' });
    expect(report.errorCode).toBe('E_GATE_FAILED');
  });

  it('a tampered payload fails: the other image\'s signed payload with this digest written in', async () => {
    const { ctx, built, name, repo } = await setup();
    const other = await pushVersioned(regs.tests, repo, 'other', '2.0.0');
    const tampered = signatureLayer(releaseKey, other.digest, name, { tamper: (p) => Buffer.from(p.toString().replace(other.digest, built.digest)) });
    await pushSigTagSignature(regs.tests.url, repo, built.digest, [tampered]);
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(false);
    expect(signatureGate(plan.gates).reason).toBe(`signature by release-signer missing for ${built.digest} (1 signature(s) found, 1 not verifying with release-signer)`);
  });

  it('a signature by another key fails, and the gate names what it saw', async () => {
    const { ctx, built, name, repo } = await setup();
    await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(otherKey, built.digest, name)]);
    const plan = await planPromotion(ctx, 'app', 'prod');
    const gate = signatureGate(plan.gates);
    expect(gate.satisfied).toBe(false);
    expect(gate.rejected).toEqual([expect.stringMatching(/: does not verify with key release-signer$/)]);
    const report = await promote(ctx, { stage: 'prod' });
    expect(report.results[0]!.error).toMatchObject({ code: 'E_GATE_FAILED', message: expect.stringContaining(`run: cosign sign --key cosign.key ${name}@${built.digest}`) });
    expect((await rawGetManifest(regs.prod.url, repo, 'tested')).status).toBe(404);
  });

  it('a signature stored as an OCI 1.1 referrer (fallback tag) passes, with ed25519 and RSA keys too', async () => {
    for (const type of ['ed25519', 'rsa'] as const) {
      const key = makeCosignKey(type);
      const { ctx, built, name, repo } = await setup({ keys: { 'release-signer': JSON.stringify(key.publicPem) } });
      const sig = await pushReferrerSignature(regs.tests.url, repo, built.descriptor, signatureLayer(key, built.digest, name));
      const plan = await planPromotion(ctx, 'app', 'prod');
      expect(plan.gatesPassed, type).toBe(true);
      expect(signatureGate(plan.gates)).toMatchObject({ satisfied: true, evidence: sig.digest, source: 'referrer' });
    }
  });

  it('a referrer whose layer names another payload than the one signed is not counted', async () => {
    const { ctx, built, name, repo } = await setup();
    const payload = simpleSigningPayload(built.digest, name, { note: 'x' });
    const signature = signPayload(releaseKey, simpleSigningPayload(built.digest, name));
    await pushReferrerSignature(regs.tests.url, repo, built.descriptor, { payload, signature });
    expect((await planPromotion(ctx, 'app', 'prod')).gatesPassed).toBe(false);
  });

  it('status and signature gates together: both must pass, both evidences go into the plan', async () => {
    const { ctx, built, name, repo } = await setup({ prodGates: '[{status: scan, equals: clean}, {signature: {key: release-signer}}]' });
    let report = await promote(ctx, { stage: 'prod' });
    const message = report.results[0]!.error!.message;
    expect(message).toContain('scan missing (wants clean)');
    expect(message).toContain(`signature by release-signer missing for ${built.digest}`);
    expect(message).toContain(`run: regtopo status set ${name}@${built.digest} scan=clean`);
    await setStatus(`${name}:tested`, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, by: 'scanner' });
    const sig = await pushSigTagSignature(regs.tests.url, repo, built.digest, [signatureLayer(releaseKey, built.digest, name)]);
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(true);
    expect(plan.evidence).toHaveLength(2);
    expect(plan.evidence).toContain(sig.digest);
    report = await promote(ctx, { stage: 'prod' });
    expect(report.results[0]!.outcome).toBe('promoted');
  });

  it('keyless gate: a Sigstore bundle for the digest from the right workflow passes offline; another identity, another image or a malformed bundle does not', async () => {
    const pki = await createSigstorePki();
    const { ctx, built, repo, dir } = await setup({
      prodGates: `[{signature: {identity: {issuer: '${GITHUB_ISSUER}', subject: '^https://github.com/acme/app/'}, trustedRoot: sigstore-root.json}}]`,
    });
    writeFileSync(join(dir, 'sigstore-root.json'), JSON.stringify(pki.trustedRoot));
    let plan = await planPromotion(ctx, 'app', 'prod');
    expect(signatureGate(plan.gates)).toMatchObject({
      signature: { identity: { issuer: GITHUB_ISSUER, subject: '^https://github.com/acme/app/' }, trustedRoot: 'sigstore-root.json' },
      satisfied: false, reason: expect.stringContaining('(no Sigstore bundle found)'),
    });
    const push = (bundle: unknown) => pushReferrer(regs.tests.url, repo, built.descriptor, BUNDLE_MEDIA_TYPE, Buffer.from(JSON.stringify(bundle)));
    // None of these may count: a bundle that is no bundle, a valid one from another repository's
    // workflow, and a valid one from the right workflow that signs another image.
    await push({ mediaType: BUNDLE_MEDIA_TYPE });
    await push(await pki.signImage({ digest: built.digest, subject: 'https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main' }));
    const other = await pushVersioned(regs.tests, repo, 'other', '2.0.0');
    await push(await pki.signImage({ digest: other.digest, subject: RELEASE_WORKFLOW }));
    plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(false);
    expect(signatureGate(plan.gates).reason).toMatch(/missing for sha256:[a-f0-9]{64} \(3 bundle\(s\) did not verify: /);
    expect((await promote(ctx, { stage: 'prod' })).errorCode).toBe('E_GATE_FAILED');

    const good = await push(await pki.signImage({ digest: built.digest, subject: RELEASE_WORKFLOW }));
    plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(true);
    expect(signatureGate(plan.gates)).toMatchObject({ satisfied: true, evidence: good.digest, source: 'referrer', identity: { issuer: GITHUB_ISSUER, subject: RELEASE_WORKFLOW } });
    expect(plan.evidence).toEqual([good.digest]);
    expect((await promote(ctx, { stage: 'prod' })).results[0]).toMatchObject({ outcome: 'promoted', digest: built.digest });
  });

  it('a keyless gate whose trusted root cannot be read is a configuration error, not a closed gate', async () => {
    const { ctx } = await setup({
      prodGates: "[{signature: {identity: {issuer: 'https://issuer.example', subject: '^x'}, trustedRoot: missing-root.json}}]",
    });
    await expect(planPromotion(ctx, 'app', 'prod')).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringMatching(/trustedRoot missing-root\.json: cannot read .*missing-root\.json: no such file/) });
  });

  it('hostile signature artifacts do not count and cost bounded reads: oversized payloads are never fetched, layers and referrers are capped, a referrer of another subject is skipped', async () => {
    const proxy = await startFaultProxy(regs.tests.url);
    try {
      const { ctx, built, name, repo } = await setup({ testsUrl: proxy.url });
      const other = await pushVersioned(regs.tests, repo, 'other', '2.0.0');
      // A payload of 300 KiB (over the 256 KiB cap), then 40 layers signed by another key.
      const huge = { payload: Buffer.from(JSON.stringify({ pad: 'x'.repeat(300 << 10) })), signature: 'AAAA' };
      const many = Array.from({ length: 40 }, () => signatureLayer(otherKey, built.digest, name));
      await pushSigTagSignature(regs.tests.url, repo, built.digest, [huge, ...many]);
      // A valid signature by the right key, but of the other image, listed among this digest's referrers.
      const stray = await pushReferrerSignature(regs.tests.url, repo, other.descriptor, signatureLayer(releaseKey, other.digest, name));
      await addToFallbackIndex(regs.tests.url, repo, built.digest, stray.manifest.descriptor);
      proxy.reset();

      const plan = await planPromotion(ctx, 'app', 'prod');
      expect(plan.gatesPassed).toBe(false);
      expect(signatureGate(plan.gates).reason).toBe(`signature by release-signer missing for ${built.digest} (31 signature(s) found, 31 not verifying with release-signer)`);
      expect(plan.warnings).toEqual(expect.arrayContaining([
        expect.stringMatching(/signature payload sha256:[a-f0-9]{64} is \d+ bytes \(limit 262144\)/),
        expect.stringMatching(/41 signature layers, only the first 32 read/),
        expect.stringMatching(new RegExp(`listed as a referrer of ${built.digest} but its subject is ${other.digest}`)),
      ]));
      // 31 payloads read (32 minus the oversized one, which is never requested); the stray referrer's
      // payload neither. The one other blob read is the image's config ({version} of the target tags).
      const blobGets = proxy.requests.filter((r) => r.method === 'GET' && /\/blobs\/sha256:/.test(r.path));
      expect(blobGets.filter((r) => !r.path.endsWith(built.config.digest))).toHaveLength(31);
      const hugeDigest = `sha256:${createHash('sha256').update(huge.payload).digest('hex')}`;
      expect(blobGets.filter((r) => r.path.endsWith(hugeDigest))).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
