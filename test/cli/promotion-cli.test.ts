import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { makeSshKey } from '../support/ssh-keys.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('promotion commands (built CLI)', () => {
  let regs: PromotionRegistries;
  beforeAll(async () => {
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    await regs?.stop();
  });

  it('walks the pipeline with exit codes 10 (gate), 11 (pending), 12 (rejected) and JSON output', async () => {
    const fx = promotionFixture(regs);
    const f = ['-f', fx.file];
    const built = await pushVersioned(regs.snapshots, fx.repo, 'latest', '7.0.0');

    let r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'tested']);
    expect(r.code).toBe(10);
    expect(r.json()).toMatchObject({ ok: false, errorCode: 'E_GATE_FAILED' });
    // The text names the command that records the missing status, for the exact digest.
    r = await runCli([...f, 'promote', 'app', '--to', 'tested']);
    expect(r.code).toBe(10);
    expect(r.stdout + r.stderr).toContain(`run: regtopo status set ${regs.snapshots.host}/${fx.repo}@${built.digest} tests=passed`);

    r = await runCli([...f, '-o', 'json', 'status', 'set', `${regs.snapshots.host}/${fx.repo}:latest`, 'tests=passed', '--by', 'ci', '--detail', 'all green']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ digest: built.digest, status: { name: 'tests', value: 'passed', by: 'ci' } });
    r = await runCli([...f, '-o', 'json', 'status', 'get', `${regs.snapshots.host}/${fx.repo}:latest`]);
    expect(r.json().current).toMatchObject([{ name: 'tests', value: 'passed', detail: 'all green' }]);
    // A name no gate reads is recorded, with a warning that suggests the gate's name.
    r = await runCli([...f, 'status', 'set', `${regs.snapshots.host}/${fx.repo}:latest`, 'Tests=passed', '--by', 'ci']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('regtopo: warning: status "Tests" is not used by any gate of the topology (did you mean "tests"?)\n');

    r = await runCli([...f, 'promote', '--all', '--to', 'tested']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('promoted');

    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(10);
    r = await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=clean']);
    expect(r.code, r.stderr).toBe(0);

    r = await runCli([...f, '-o', 'json', 'plan', 'app', '--to', 'prod', '--version', '7.0.0-rc1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().plans[0].targets.map((t: { tag: string }) => t.tag)).toEqual(['tested', '7.0.0-rc1']);
    r = await runCli([...f, 'plan', 'app', '--to', 'prod']);
    expect(r.stdout).toContain('approval pending');

    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(11);
    expect(r.json().errorCode).toBe('E_APPROVAL_PENDING');
    expect(r.json().results[0].outcome).toBe('pending');
    // The hint is complete: the plan's {version} goes with it, so the approval names the same plan.
    expect(r.json().results[0].error.message).toContain(`run: regtopo approve app@${built.digest} --stage prod --version 7.0.0 --key`);
    r = await runCli([...f, '-o', 'json', 'approvals', '--pending']);
    expect(r.json().pending).toMatchObject([{ image: 'app', stage: 'prod', digest: built.digest, approveWith: expect.stringContaining('--version 7.0.0 ') }]);

    r = await runCli([...f, 'reject', `app@${built.digest}`, '--stage', 'prod', '--by', 'bob', '--comment', 'not today']);
    expect(r.code, r.stderr).toBe(0);
    r = await runCli([...f, 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(12);
    expect(r.stdout).toContain('not today');
    expect(r.stdout).toMatch(/→ prod: rejected: /);
    expect(r.stdout).not.toContain('FAILED');

    // A fresh build of the same version: a new plan, so the old rejection does not apply.
    const again = await pushVersioned(regs.tests, fx.repo, 'tested', '7.0.0');
    await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=accepted']);
    r = await runCli([...f, '-o', 'json', 'approve', `app@${again.digest}`, '--stage', 'prod', '--by', 'alice']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().state.state).toBe('approved');
    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.json().results[0].outcome).toBe('planned');
    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json().results[0]).toMatchObject({ outcome: 'promoted', digest: again.digest });

    r = await runCli([...f, '-o', 'json', 'history', 'app']);
    expect(r.json().history.map((h: { stage: string }) => h.stage)).toEqual(['prod', 'tested']);
    r = await runCli([...f, 'history', 'app']);
    expect(r.stdout).toContain('approved by alice');
    r = await runCli([...f, '-o', 'json', 'inventory']);
    const prod = r.json().inventory.find((e: { stage: string }) => e.stage === 'prod');
    expect(prod).toMatchObject({ digest: again.digest, registry: 'prod' });
    expect(prod.tags.sort()).toEqual(['7.0.0', 'tested']);
    r = await runCli([...f, 'inventory']);
    expect(r.stdout).toContain('scan=accepted');

    r = await runCli([...f, 'promote', '--to', 'prod']);
    expect(r.code).toBe(2);
  });

  it('signed approvals on the command line: --key names the approver, a forged --by is refused, a lost immutable tag is exit 3', async () => {
    const alice = makeSshKey('ed25519', 'alice@laptop');
    const fx = promotionFixture(regs, { approval: '{type: manual, approvers: [alice]}', keys: { alice: `'${alice.line}'` } });
    const f = ['-f', fx.file];
    const built = await pushVersioned(regs.tests, fx.repo, 'tested', '8.0.0');
    let r = await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=clean']);
    expect(r.code, r.stderr).toBe(0);

    r = await runCli([...f, '-o', 'json', 'approve', `app@${built.digest}`, '--stage', 'prod', '--by', 'alice']);
    expect(r.code).toBe(2);
    expect(r.json().error.message).toContain('pass --key');

    r = await runCli([...f, 'approve', `app@${built.digest}`, '--stage', 'prod', '--key', alice.privateFile, '--by', 'mallory']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/approved app@\S+ for prod by alice \(signed\)/);
    expect(r.stdout).toContain('approved by alice');

    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    // Another build claiming 8.0.0: the immutable tag holds the first one, a conflict (exit 3).
    const rebuilt = await pushVersioned(regs.tests, fx.repo, 'tested', '8.0.0');
    await runCli([...f, 'status', 'set', `${regs.tests.host}/${fx.repo}:tested`, 'scan=clean']);
    await runCli([...f, 'approve', `app@${rebuilt.digest}`, '--stage', 'prod', '--key', alice.privateFile]);
    r = await runCli([...f, '-o', 'json', 'promote', 'app', '--to', 'prod']);
    expect(r.code).toBe(3);
    expect(r.json().errorCode).toBe('E_CONFLICT');
    // The refusal says which tags may move and where that is declared.
    expect(r.json().results[0].error.message).toMatch(/immutable tag .*:8\.0\.0 already holds .*movingTags: latest, tested, stable, prod; add "8\.0\.0" there only if it is meant to move/);

    // status set into prod is refused whatever the host is called.
    r = await runCli([...f, '-o', 'json', 'status', 'set', `${regs.prod.host.replace('127.0.0.1', 'localhost')}/${fx.repo}:8.0.0`, 'scan=clean']);
    expect(r.code).toBe(3);
    expect(r.json().error.code).toBe('E_POLICY');
  });
});
