/**
 * `regtopo approvals --pending` for a stage whose tags need {version}: listed whether or not the
 * image carries a version label, with the version it would use (or a complete hint with
 * `--version <VERSION>` when it has none), and never approvable or promotable without one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, pushImage } from '../support/images.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('approvals --pending with {version} targets (built CLI)', () => {
  let regs: PromotionRegistries;
  beforeAll(async () => {
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    await regs?.stop();
  });

  it('lists a plan whose image has no version label, with unexpanded targets and a --version <VERSION> hint', async () => {
    const fx = promotionFixture(regs);
    const f = ['-f', fx.file];
    const built = buildImage({ layers: [1024] });
    await pushImage(regs.tests.url, fx.repo, 'tested', built);
    let r = await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=clean']);
    expect(r.code, r.stderr).toBe(0);

    r = await runCli([...f, '-o', 'json', 'approvals', '--pending']);
    expect(r.code, r.stderr).toBe(0);
    const [pending, ...more] = r.json().pending;
    expect(more).toEqual([]);
    expect(pending).toMatchObject({ image: 'app', stage: 'prod', digest: built.digest, needsVersion: true, quorum: 1, approvedBy: [] });
    expect(pending.version).toBeUndefined();
    expect(pending.targets).toEqual([`${regs.prod.host}/${fx.repo}:tested`, `${regs.prod.host}/${fx.repo}:{version}`]);
    expect(pending.approveWith).toBe(`regtopo approve app@${built.digest} --stage prod --version <VERSION> --key ~/.ssh/id_ed25519`);

    r = await runCli([...f, 'approvals', '--pending']);
    expect(r.stdout).toContain(`app@${built.digest} → prod: 0/1 approvals; needs a version`);
    expect(r.stdout).toContain(`run: regtopo approve app@${built.digest} --stage prod --version <VERSION> --key`);

    // Without a version nothing can be approved or promoted: a usage error naming the flag.
    r = await runCli([...f, 'approve', `app@${built.digest}`, '--stage', 'prod', '--by', 'rm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs \{version\}.*pass --version/);
    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(2);
    expect(r.json().results[0].error).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('pass --version') });
  });

  it('after an approval given with --version V, lists that plan with V (quorum not yet met)', async () => {
    const fx = promotionFixture(regs, { approval: '{type: manual, quorum: 2}' });
    const f = ['-f', fx.file];
    const built = buildImage({ layers: [1024] });
    await pushImage(regs.tests.url, fx.repo, 'tested', built);
    await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=clean']);
    let r = await runCli([...f, '-o', 'json', 'approve', `app@${built.digest}`, '--stage', 'prod', '--by', 'rm-a', '--version', '3.1.0']);
    expect(r.code, r.stderr).toBe(0);
    const approvedPlan = r.json().plan.planHash as string;

    r = await runCli([...f, '-o', 'json', 'approvals', '--pending']);
    expect(r.json().pending).toMatchObject([{
      digest: built.digest, needsVersion: false, version: '3.1.0', approvedBy: ['rm-a'], planHash: approvedPlan,
      targets: [`${regs.prod.host}/${fx.repo}:tested`, `${regs.prod.host}/${fx.repo}:3.1.0`],
      approveWith: `regtopo approve app@${built.digest} --stage prod --version 3.1.0 --key ~/.ssh/id_ed25519`,
    }]);
  });

  it('shows the version a labelled image would use, with the same plan hash as plan and approve', async () => {
    const fx = promotionFixture(regs);
    const f = ['-f', fx.file];
    const built = await pushVersioned(regs.tests, fx.repo, 'tested', '4.2.0');
    await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=clean']);
    let r = await runCli([...f, '-o', 'json', 'plan', 'app', '--to', 'prod']);
    const planHash = r.json().plans[0].planHash as string;

    r = await runCli([...f, '-o', 'json', 'approvals', '--pending']);
    expect(r.json().pending).toMatchObject([{ digest: built.digest, needsVersion: false, version: '4.2.0', planHash }]);
    r = await runCli([...f, 'approvals', '--pending']);
    expect(r.stdout).toContain('0/1 approvals; version 4.2.0 (from the image label)');
    expect(r.stdout).toContain(`run: regtopo approve app@${built.digest} --stage prod --version 4.2.0 --key`);

    r = await runCli([...f, '-o', 'json', 'approve', `app@${built.digest}`, '--stage', 'prod', '--by', 'rm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().plan.planHash).toBe(planHash);
    r = await runCli([...f, '-o', 'json', 'approvals', '--pending']);
    expect(r.json().pending).toEqual([]);
  });
});
