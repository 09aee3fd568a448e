/**
 * Signed approvals against real registries: the reproductions of issue 10 as test cases. The approver
 * is whoever's key verifies, never what a record or `--by` says; a forged record, an unlisted key, the
 * same key twice, a hook decision on a manual stage: none of them count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The context-taking implementations (the public verbs in verbs.ts wrap them).
import { approve, reject } from '../../src/ops/promotion/approvals.js';
import type { PromotionContext } from '../../src/ops/promotion/context.js';
import { planPromotion } from '../../src/ops/promotion/plan.js';
import { promote } from '../../src/ops/promotion/promote.js';
import { setStatus } from '../../src/ops/promotion/statuses.js';
import type { ApprovalBody } from '../../src/ops/promotion/approval-state.js';
import { writeRecord } from '../../src/ops/promotion/records.js';
import { Reference } from '../../src/ref/reference.js';
import { rawGetManifest } from '../support/images.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries, type TopologyOptions } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { makeSshKey, type TestKey } from '../support/ssh-keys.js';

const skip = registrySkipReason();

describe.skipIf(skip)('signed approvals', () => {
  let regs: PromotionRegistries;
  const contexts: PromotionContext[] = [];
  let alice: TestKey;
  let bob: TestKey;
  let mallory: TestKey;
  beforeAll(async () => {
    regs = await startPromotionRegistries();
    [alice, bob, mallory] = [makeSshKey('ed25519', 'alice@laptop'), makeSshKey('ecdsa', 'bob@laptop'), makeSshKey('ed25519', 'mallory@laptop')];
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.client.close()));
    await regs?.stop();
  });

  function setup(approval: string, extra: TopologyOptions = {}) {
    const fx = promotionFixture(regs, { approval, keys: { alice: `'${alice.line}'`, bob: `'${bob.line}'` }, ...extra });
    const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
    contexts.push(ctx);
    return { ...fx, ctx };
  }

  /** An image built, tested, promoted to ci-tests and scanned clean: ready to be approved for prod. */
  async function readyForProd(ctx: PromotionContext, repo: string, version: string) {
    const built = await pushVersioned(regs.snapshots, repo, 'latest', version);
    await setStatus(`${regs.snapshots.host}/${repo}:latest`, 'tests', 'passed', { client: ctx.client, topology: ctx.topology, by: 'ci' });
    expect((await promote(ctx, { stage: 'tested' })).ok).toBe(true);
    await setStatus(`${regs.tests.host}/${repo}:tested`, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, by: 'scanner' });
    return built;
  }

  /** Writes an approval record straight into the source repository, as anyone with push could. */
  async function forge(ctx: PromotionContext, repo: string, digest: string, body: Partial<ApprovalBody>) {
    const plan = await planPromotion(ctx, 'app', 'prod', { digest });
    const src = ctx.client.repository(Reference.parse(`${regs.tests.host}/${repo}`));
    const subject = { mediaType: plan.source.mediaType, digest, size: plan.source.size };
    await writeRecord(src, subject, 'approval', {
      kind: 'approval', subject: digest, image: 'app', stage: 'prod', planHash: plan.planHash, decision: 'approved', by: 'alice', at: new Date().toISOString(), ...body,
    }, { name: 'prod', value: 'approved' });
  }

  it('a key that verifies names the approver; the promotion record says who', async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.0.0');
    const decided = await approve({ ...ctx, by: 'whoever' }, { image: 'app', digest: a.digest, stage: 'prod', keyFile: alice.privateFile, comment: 'ship it' });
    expect(decided).toMatchObject({ by: 'alice', signed: true, state: { state: 'approved', approvedBy: ['alice'] } });
    const report = await promote(ctx, { stage: 'prod' });
    expect(report.ok, JSON.stringify(report.results[0]?.error)).toBe(true);
    expect((await rawGetManifest(regs.prod.url, repo, '1.0.0')).digest).toBe(a.digest);
  });

  it('a forged --by (or a record saying "by: alice") counts for nothing; approving unsigned on a keyed stage is refused', async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.1.0');
    await expect(approve({ ...ctx, by: 'alice' }, { image: 'app', digest: a.digest, stage: 'prod' })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('--key') });
    await forge(ctx, repo, a.digest, { by: 'alice' });
    await forge(ctx, repo, a.digest, { by: 'bob', signature: 'not a signature' });
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.approval).toMatchObject({ state: 'pending', approvedBy: [] });
    expect(plan.approval.ignored.map((i) => i.reason)).toEqual(expect.arrayContaining([expect.stringContaining('unsigned, but alice has a key'), expect.stringContaining('signature unreadable')]));
    expect((await promote(ctx, { stage: 'prod' })).errorCode).toBe('E_APPROVAL_PENDING');
  });

  it('quorum 2: one person filling it with --by a and --by b is not two approvals; the same key twice counts once', async () => {
    const { repo, ctx } = setup('{type: manual, quorum: 2, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.2.0');
    const input = { image: 'app', digest: a.digest, stage: 'prod' };
    await forge(ctx, repo, a.digest, { by: 'alice' });
    await forge(ctx, repo, a.digest, { by: 'bob' });
    await approve(ctx, { ...input, keyFile: alice.privateFile });
    const twice = await approve(ctx, { ...input, keyFile: alice.privateFile });
    expect(twice.state).toMatchObject({ state: 'pending', approvedBy: ['alice'] });
    expect((await promote(ctx, { stage: 'prod' })).errorCode).toBe('E_APPROVAL_PENDING');
    const done = await approve(ctx, { ...input, keyFile: bob.privateFile });
    expect(done.state).toMatchObject({ state: 'approved', approvedBy: ['alice', 'bob'] });
  });

  it('one key listed under two names is one approval', async () => {
    const { repo, ctx } = setup('{type: manual, quorum: 2, approvers: [alice, alice-too]}', { keys: { alice: `'${alice.line}'`, 'alice-too': `'${alice.line}'` } });
    const a = await readyForProd(ctx, repo, '1.2.1');
    const r = await approve(ctx, { image: 'app', digest: a.digest, stage: 'prod', keyFile: alice.privateFile });
    expect(r.state.state).toBe('pending');
  });

  it('an approval signed by a key the topology does not list is refused, and a record carrying one does not count', async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.3.0');
    await expect(approve(ctx, { image: 'app', digest: a.digest, stage: 'prod', keyFile: mallory.privateFile })).rejects.toMatchObject({ code: 'E_POLICY', message: expect.stringContaining('is not the key of the approvers') });
    // Mallory signs a record herself and writes it with "by: alice".
    const { signWithSshKeygen } = await import('../../src/signing/ssh-keygen-signer.js');
    const { approvalMessage, APPROVAL_NAMESPACE } = await import('../../src/ops/promotion/signed-message.js');
    const plan = await planPromotion(ctx, 'app', 'prod');
    const body = { image: 'app', stage: 'prod', subject: a.digest, planHash: plan.planHash, decision: 'approved' as const, at: new Date().toISOString() };
    const sig = await signWithSshKeygen(approvalMessage(body), { keyFile: mallory.privateFile, namespace: APPROVAL_NAMESPACE });
    await forge(ctx, repo, a.digest, { ...body, by: 'alice', signature: sig.signature });
    const after = await planPromotion(ctx, 'app', 'prod');
    expect(after.approval.state).toBe('pending');
    expect(after.approval.ignored[0]!.reason).toMatch(/which is not one of alice, bob/);
  });

  it("alice's signature over another plan or decision does not carry over (bound to plan hash, stage and decision)", async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.4.0');
    const { signWithSshKeygen } = await import('../../src/signing/ssh-keygen-signer.js');
    const { approvalMessage, APPROVAL_NAMESPACE } = await import('../../src/ops/promotion/signed-message.js');
    const plan = await planPromotion(ctx, 'app', 'prod');
    // Signed as a rejection, relabelled as an approval:
    const body = { image: 'app', stage: 'prod', subject: a.digest, planHash: plan.planHash, decision: 'rejected' as const, at: new Date().toISOString() };
    const sig = await signWithSshKeygen(approvalMessage(body), { keyFile: alice.privateFile, namespace: APPROVAL_NAMESPACE });
    await forge(ctx, repo, a.digest, { ...body, decision: 'approved', signature: sig.signature });
    expect((await planPromotion(ctx, 'app', 'prod')).approval).toMatchObject({ state: 'pending', approvedBy: [] });
  });

  it("an approver's latest decision replaces the earlier one; any standing rejection rejects; output names both sides", async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.5.0');
    const input = { image: 'app', digest: a.digest, stage: 'prod' };
    await approve(ctx, { ...input, keyFile: alice.privateFile });
    const rejected = await reject(ctx, { ...input, keyFile: bob.privateFile, comment: 'CVE open' });
    expect(rejected.state).toMatchObject({ state: 'rejected', approvedBy: ['alice'], rejectedBy: ['bob'] });
    const report = await promote(ctx, { stage: 'prod' });
    expect(report.errorCode).toBe('E_APPROVAL_REJECTED');
    expect(report.results[0]!.error!.message).toContain('bob: CVE open');
    // Bob withdraws his rejection by approving.
    const withdrawn = await approve(ctx, { ...input, keyFile: bob.privateFile });
    expect(withdrawn.state).toMatchObject({ state: 'approved', approvedBy: ['alice', 'bob'], rejectedBy: [] });
    expect((await promote(ctx, { stage: 'prod' })).ok).toBe(true);
  });

  it('a record carrying a hook field never satisfies a manual stage', async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, bob]}');
    const a = await readyForProd(ctx, repo, '1.6.0');
    await forge(ctx, repo, a.digest, { by: 'command:true', hook: { type: 'command', output: '', exitCode: 0 } });
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.approval.state).toBe('pending');
    expect(plan.approval.ignored[0]!.reason).toMatch(/hook decision never satisfies a manual approval/);
  });

  it('approvers without a key still work on their name (and validate warns about them)', async () => {
    const { repo, ctx } = setup('{type: manual, approvers: [alice, carol]}');
    const a = await readyForProd(ctx, repo, '1.7.0');
    const r = await approve({ ...ctx, by: 'carol' }, { image: 'app', digest: a.digest, stage: 'prod' });
    expect(r).toMatchObject({ by: 'carol', signed: false, state: { state: 'approved', approvedBy: ['carol'] } });
  });

  it('{date} in a target tag is fixed when the plan is approved: an approval before midnight stays valid after it', async () => {
    // Two minutes before a UTC midnight that is still ahead of the real clock: statuses are recorded
    // at real time, and a status newer than the context's now would not count (a fast clock).
    const midnight = Math.ceil((Date.now() + 3_600_000) / 86_400_000) * 86_400_000;
    const day = new Date(midnight - 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    let now = midnight - 2 * 60_000;
    const { repo, ctx: base } = setup('{type: manual, approvers: [alice]}', { prodTargetTags: "['{version}-{date}']" });
    const ctx: PromotionContext = { ...base, now: () => now };
    const a = await readyForProd(ctx, repo, '2.0.0');
    const decided = await approve(ctx, { image: 'app', digest: a.digest, stage: 'prod', keyFile: alice.privateFile });
    expect(decided.state.state).toBe('approved');
    expect(decided.plan.date).toBe(day);
    now = midnight + 3 * 60_000;
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan).toMatchObject({ date: day, planHash: decided.plan.planHash, approval: { state: 'approved' } });
    const report = await promote(ctx, { stage: 'prod' });
    expect(report.ok, JSON.stringify(report.results[0]?.error)).toBe(true);
    expect((await rawGetManifest(regs.prod.url, repo, `2.0.0-${day}`)).digest).toBe(a.digest);
  });
});
