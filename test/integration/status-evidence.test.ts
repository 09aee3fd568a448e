/**
 * Status evidence that no clock or race can bend, against real registries: a writer whose clock is
 * an hour fast cannot outlive a later record; records that contradict each other within the skew
 * window fail the gate closed; signedBy gates count only their signers; status set stays out of
 * prod under any of its names; what changes while an approval hook runs stops the promotion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The context-taking implementations (the public verbs in verbs.ts wrap them).
import type { PromotionContext } from '../../src/ops/promotion/context.js';
import { planPromotion } from '../../src/ops/promotion/plan.js';
import { promote } from '../../src/ops/promotion/promote.js';
import { getStatuses, setStatus } from '../../src/ops/promotion/statuses.js';
import { writeRecord } from '../../src/ops/promotion/records.js';
import type { StatusBody } from '../../src/ops/promotion/statuses.js';
import { Reference } from '../../src/ref/reference.js';
import { rawGetManifest } from '../support/images.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries, type TopologyOptions } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { makeSshKey, type TestKey } from '../support/ssh-keys.js';

const skip = registrySkipReason();
const HOUR = 3_600_000;

describe.skipIf(skip)('status evidence', () => {
  let regs: PromotionRegistries;
  const contexts: PromotionContext[] = [];
  let scanner: TestKey;
  let mallory: TestKey;
  beforeAll(async () => {
    regs = await startPromotionRegistries();
    [scanner, mallory] = [makeSshKey('ed25519', 'scanner@ci'), makeSshKey('ed25519', 'mallory@laptop')];
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.client.close()));
    await regs?.stop();
  });

  function setup(options: TopologyOptions = {}) {
    const fx = promotionFixture(regs, { approval: '{type: manual}', ...options });
    const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
    contexts.push(ctx);
    return { ...fx, ctx };
  }

  async function tested(ctx: PromotionContext, repo: string, version: string) {
    const built = await pushVersioned(regs.snapshots, repo, 'latest', version);
    await setStatus(`${regs.snapshots.host}/${repo}:latest`, 'tests', 'passed', { client: ctx.client, topology: ctx.topology });
    expect((await promote(ctx, { stage: 'tested' })).ok).toBe(true);
    return { built, ref: `${regs.tests.host}/${repo}:tested` };
  }

  it('scan=clean from a machine whose clock is an hour fast does not outlive a later scan=dirty', async () => {
    const { repo, ctx } = setup();
    const { ref } = await tested(ctx, repo, '1.0.0');
    const fast = () => Date.now() + HOUR;
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, now: fast });
    await setStatus(ref, 'scan', 'dirty', { client: ctx.client, topology: ctx.topology });
    let plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(false);
    expect(plan.gates[0]).toMatchObject({ value: 'dirty' });
    expect(plan.warnings?.join()).toMatch(/in the future/);
    // Two hours on, the fast record is no longer "in the future", yet dirty replaced it.
    plan = await planPromotion({ ...ctx, now: () => Date.now() + 2 * HOUR }, 'app', 'prod');
    expect(plan.gates[0]).toMatchObject({ satisfied: false, value: 'dirty' });
    const statuses = await getStatuses(ref, { client: ctx.client, topology: ctx.topology, now: () => Date.now() + 2 * HOUR });
    expect(statuses.current.find((s) => s.name === 'scan')?.value).toBe('dirty');
  });

  it('a record dated beyond the skew window in the future is ignored with a warning', async () => {
    const { repo, ctx } = setup();
    const { ref } = await tested(ctx, repo, '1.1.0');
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, now: () => Date.now() + 10 * 60_000 });
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gates[0]).toMatchObject({ satisfied: false, reason: expect.stringContaining('scan missing') });
    expect(plan.warnings?.[0]).toMatch(/ignored status scan=clean .* in the future, beyond the 300 s clock skew/);
  });

  it('a skewed contradictory status (written concurrently, dated within the window) fails the gate and says so', async () => {
    const { repo, ctx } = setup({ promotionExtra: 'clockSkew: 5m' });
    const { built } = await tested(ctx, repo, '1.2.0');
    const src = ctx.client.repository(Reference.parse(`${regs.tests.host}/${repo}`));
    const subject = { mediaType: built.mediaType, digest: built.digest, size: built.size };
    const t = Date.now();
    // Two writers that did not see each other (no supersedes), clocks two minutes apart; the dirty
    // one's clock is behind, so a newest-wins rule would let the clean one pass.
    for (const [value, at] of [['dirty', t - 2 * 60_000], ['clean', t]] as const) {
      const body: StatusBody = { kind: 'status', subject: built.digest, name: 'scan', value, by: 'scanner', at: new Date(at).toISOString(), supersedes: [] };
      await writeRecord(src, subject, 'status', body, { name: 'scan', value, now: at });
    }
    const plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gatesPassed).toBe(false);
    expect(plan.gates[0]).toMatchObject({ contradictory: true, reason: expect.stringMatching(/scan contradictory: dirty .* vs clean .* within 300 s .* failing closed/) });
    expect((await promote(ctx, { stage: 'prod' })).errorCode).toBe('E_GATE_FAILED');
    // A later status set sees both and replaces them: the contradiction is resolved by a write, not a clock.
    await setStatus(`${regs.tests.host}/${repo}:tested`, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    expect((await planPromotion(ctx, 'app', 'prod')).gatesPassed).toBe(true);
  });

  it('outside the skew window the newer of two unrelated records counts', async () => {
    const { repo, ctx } = setup({ promotionExtra: 'clockSkew: 60' });
    const { built } = await tested(ctx, repo, '1.3.0');
    const src = ctx.client.repository(Reference.parse(`${regs.tests.host}/${repo}`));
    const subject = { mediaType: built.mediaType, digest: built.digest, size: built.size };
    const t = Date.now();
    for (const [value, at] of [['dirty', t - 10 * 60_000], ['clean', t]] as const) {
      await writeRecord(src, subject, 'status', { kind: 'status', subject: built.digest, name: 'scan', value, by: 's', at: new Date(at).toISOString(), supersedes: [] }, { name: 'scan', value, now: at });
    }
    expect((await planPromotion(ctx, 'app', 'prod')).gates[0]).toMatchObject({ satisfied: true, value: 'clean' });
  });

  it('a signedBy gate counts only records signed by its keys: unsigned and impostor records are ignored', async () => {
    const { repo, ctx } = setup({ keys: { scanner: `'${scanner.line}'` }, prodGates: '[{status: scan, in: [clean], signedBy: [scanner]}]' });
    const { ref } = await tested(ctx, repo, '1.4.0');
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, by: 'scanner' });
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, keyFile: mallory.privateFile });
    let plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gates[0]).toMatchObject({ satisfied: false, reason: 'scan missing signed by scanner (wants clean)' });
    expect(plan.warnings?.join()).toMatch(/2 record\(s\) not signed by scanner ignored/);
    const signed = await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology, keyFile: scanner.privateFile });
    expect(signed.status.signedBy).toEqual(['scanner']);
    plan = await planPromotion(ctx, 'app', 'prod');
    expect(plan.gates[0]).toMatchObject({ satisfied: true, by: 'scanner', evidence: signed.status.record });
    // The scanner's own later dirty verdict wins; nobody else's clean can cover it.
    await setStatus(ref, 'scan', 'dirty', { client: ctx.client, topology: ctx.topology, keyFile: scanner.privateFile });
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    expect((await planPromotion(ctx, 'app', 'prod')).gates[0]).toMatchObject({ satisfied: false, value: 'dirty' });
  });

  it('status set into prod is refused, also through the localhost alias of 127.0.0.1', async () => {
    const { repo, ctx } = setup();
    const { built } = await tested(ctx, repo, '1.5.0');
    for (const host of [regs.prod.host, regs.prod.host.replace('127.0.0.1', 'localhost')]) {
      await expect(setStatus(`${host}/${repo}@${built.digest}`, 'scan', 'clean', { client: ctx.client, topology: ctx.topology }))
        .rejects.toMatchObject({ code: 'E_POLICY', message: expect.stringContaining('prod is written only by promotion') });
    }
  });

  it('what changes while the approval hook runs is seen: the promotion stops with the new state, nothing written', async () => {
    const { repo, ctx } = setup({ approval: "{type: command, command: 'sleep 2; exit 0', timeout: 20}" });
    const { ref } = await tested(ctx, repo, '1.6.0');
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    const running = promote(ctx, { stage: 'prod' });
    await new Promise((r) => setTimeout(r, 1_000));
    await setStatus(ref, 'scan', 'dirty', { client: ctx.client, topology: ctx.topology, detail: 'CVE found while the hook ran' });
    const report = await running;
    expect(report.ok).toBe(false);
    expect(report.errorCode).toBe('E_GATE_FAILED');
    expect(report.results[0]!.plan!.gates[0]).toMatchObject({ value: 'dirty' });
    expect((await rawGetManifest(regs.prod.url, repo, '1.6.0')).status).toBe(404);
  });

  it('a source tag moved while the hook ran stops the promotion (E_CONFLICT), nothing written', async () => {
    const { repo, ctx } = setup({ approval: "{type: command, command: 'sleep 2; exit 0', timeout: 20}" });
    const { ref } = await tested(ctx, repo, '1.7.0');
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    const running = promote(ctx, { stage: 'prod' });
    await new Promise((r) => setTimeout(r, 1_000));
    await tested(ctx, repo, '1.7.1');
    const report = await running;
    expect(report.errorCode).toBe('E_CONFLICT');
    expect(report.results[0]!.error!.message).toMatch(/source moved .* while the command hook ran; nothing written/);
    expect((await rawGetManifest(regs.prod.url, repo, '1.7.0')).status).toBe(404);
  });

  it("a command hook's timeout kills its whole tree: `sleep 8; true` with timeout 1 is rejected in about a second", async () => {
    const { repo, ctx } = setup({ approval: "{type: command, command: 'sleep 8; true', timeout: 1}" });
    const { ref } = await tested(ctx, repo, '1.8.0');
    await setStatus(ref, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    const started = Date.now();
    const report = await promote(ctx, { stage: 'prod' });
    const took = Date.now() - started;
    expect(report.errorCode).toBe('E_APPROVAL_REJECTED');
    expect(report.results[0]!.error!.message).toMatch(/timed out after 1 s/);
    expect(report.results[0]!.hook).toMatchObject({ approved: false, timedOut: true });
    expect(took).toBeLessThan(6_000); // was 8 s and more: only the shell was killed
  });
});
