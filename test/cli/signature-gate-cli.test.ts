/**
 * Signature gates through the built CLI: an unsigned image is refused with exit 10 and a message
 * naming the missing signature and the cosign command that makes it; once signed, `plan` shows the
 * gate's evidence (key, signature manifest digest) in text and JSON and `promote` goes through. A
 * key file with broken PEM is a one-line configuration error naming the key.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCosignKey, pushSigTagSignature, signatureLayer } from '../support/cosign-signatures.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('signature gates (built CLI)', () => {
  let regs: PromotionRegistries;
  beforeAll(async () => {
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    await regs?.stop();
  });

  it('an unsigned image is refused (exit 10) naming the signature; signed, plan shows the evidence and promote passes', async () => {
    const key = makeCosignKey('ecdsa');
    const fx = promotionFixture(regs, { noApproval: true, keys: { 'release-signer': '{file: cosign.pub}' }, prodGates: '[{signature: {key: release-signer}}]' });
    writeFileSync(join(fx.dir, 'cosign.pub'), key.publicPem);
    const f = ['-f', fx.file];
    const built = await pushVersioned(regs.tests, fx.repo, 'tested', '3.1.0');
    const ref = `${regs.tests.host}/${fx.repo}@${built.digest}`;

    let r = await runCli([...f, 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(10);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`signature by release-signer missing for ${built.digest}`);
    expect(out).toContain(`run: cosign sign --key cosign.key ${ref}`);
    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(10);
    expect(r.json()).toMatchObject({ ok: false, errorCode: 'E_GATE_FAILED' });

    const sig = await pushSigTagSignature(regs.tests.url, fx.repo, built.digest, [signatureLayer(key, built.digest, `${regs.tests.host}/${fx.repo}`)]);
    r = await runCli([...f, 'plan', 'app', '--to', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('gate ok   signature by release-signer');
    expect(r.stdout).toMatch(/ {4}key release-signer SHA256:\S+/);
    expect(r.stdout).toContain(`    signature ${sig.digest} (cosign .sig tag)`);
    r = await runCli([...f, '-o', 'json', 'plan', 'app', '--to', 'prod']);
    const plan = r.json().plans[0];
    expect(plan.gates).toEqual([expect.objectContaining({ signature: { key: 'release-signer', fingerprint: expect.stringMatching(/^SHA256:/) }, satisfied: true, evidence: sig.digest, source: 'sig-tag' })]);
    expect(plan.evidence).toEqual([sig.digest]);

    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().results[0]).toMatchObject({ outcome: 'promoted', digest: built.digest });
  });

  it('a key file with broken PEM is a one-line error naming the key (exit 2)', async () => {
    const fx = promotionFixture(regs, { noApproval: true, keys: { 'release-signer': '{file: cosign.pub}' }, prodGates: '[{status: scan, equals: clean}]' });
    writeFileSync(join(fx.dir, 'cosign.pub'), '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n');
    await pushVersioned(regs.tests, fx.repo, 'tested', '3.2.0');
    const r = await runCli(['-f', fx.file, 'plan', 'app', '--to', 'prod']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/keys\.release-signer \(file cosign\.pub\): PEM public key does not decode/);
  });
});
