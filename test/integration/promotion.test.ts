import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../support/fault-proxy.js';
import { runCli } from '../cli/run-cli.js';
import { copy } from '../../src/ops/copy.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import { staticCredentials } from '../../src/auth/credential.js';
import { MediaType } from '../../src/registry/media-types.js';
import { digestOf } from '../../src/ref/digest.js';
// The public verbs, as a library user calls them: inputs first, then options with the topology.
import { approve, getStatuses, history, inventory, listApprovals, plan as planPromotion, promote, reject, setStatus } from '../../src/index.js';
import type { PromotionContext } from '../../src/ops/promotion/context.js';
import { listRecords } from '../../src/ops/promotion/records.js';
import { Reference } from '../../src/ref/reference.js';
import { rawGetManifest } from '../support/images.js';
import { promotionFixture, pushVersioned, startPromotionRegistries, type PromotionRegistries } from '../support/promotion-topology.js';
import { registrySkipReason } from '../support/registry.js';
import { skopeoInspectRaw } from '../support/skopeo.js';

const BIN = join(import.meta.dirname, '../../bin/regtopo.js');

const skip = registrySkipReason();

describe.skipIf(skip)('promotion pipeline against real registries', () => {
  let regs: PromotionRegistries;
  const contexts: PromotionContext[] = [];
  beforeAll(async () => {
    regs = await startPromotionRegistries();
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.client.close()));
    await regs?.stop();
  });

  function setup(approval?: string) {
    const fx = promotionFixture(regs, { approval });
    const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
    contexts.push(ctx);
    return { ...fx, ctx };
  }

  it('a promotion stops on its signal: E_INTERRUPTED, nothing written to the target', async () => {
    const { repo, ctx } = setup();
    await pushVersioned(regs.snapshots, repo, 'latest', '1.4.0');
    await setStatus(`${regs.snapshots.host}/${repo}:latest`, 'tests', 'passed', { client: ctx.client, topology: ctx.topology, by: 'ci' });
    const controller = new AbortController();
    controller.abort();
    const outcome = await promote('tested', { ...ctx, signal: controller.signal }).then((r) => r.errorCode, (err: { code?: string }) => err.code);
    expect(outcome).toBe('E_INTERRUPTED');
    // The stage writes into ci-tests: the repository must not even exist there.
    const tags = await runCli(['tags', `${regs.tests.host}/${repo}`, '-o', 'json']);
    expect(tags.code).toBe(4);
  });

  it('gates refuse, then pass; the whole story lands in prod with its records', async () => {
    const { repo, ctx } = setup();
    const built = await pushVersioned(regs.snapshots, repo, 'latest', '1.4.0');
    const snap = `${regs.snapshots.host}/${repo}:latest`;

    let report = await promote('tested', ctx);
    expect(report.ok).toBe(false);
    expect(report.errorCode).toBe('E_GATE_FAILED');
    expect(report.results[0]!.error!.message).toMatch(/tests missing/);

    await setStatus(snap, 'tests', 'failed', { client: ctx.client, topology: ctx.topology, by: 'ci' });
    expect((await promote('tested', ctx)).errorCode).toBe('E_GATE_FAILED');
    await setStatus(snap, 'tests', 'passed', { client: ctx.client, topology: ctx.topology, by: 'ci', detail: '120 tests' });
    const st = await getStatuses(snap, { client: ctx.client });
    expect(st.current).toHaveLength(1);
    expect(st.current[0]).toMatchObject({ name: 'tests', value: 'passed', detail: '120 tests' });
    expect(st.history.map((h) => h.value)).toEqual(['failed', 'passed']);

    report = await promote('tested', ctx);
    expect(report.ok).toBe(true);
    expect(report.results[0]).toMatchObject({ outcome: 'promoted', digest: built.digest });
    expect((await rawGetManifest(regs.tests.url, repo, 'tested')).digest).toBe(built.digest);
    // Rerun after success: nothing to do.
    expect((await promote('tested', ctx)).results[0]!.outcome).toBe('no-op');

    // prod: gate first, then manual approval.
    report = await promote('prod', ctx);
    expect(report.errorCode).toBe('E_GATE_FAILED');
    const tested = `${regs.tests.host}/${repo}:tested`;
    await setStatus(tested, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    report = await promote('prod', ctx);
    expect(report.errorCode).toBe('E_APPROVAL_PENDING');
    const pending = await listApprovals({ ...ctx, pendingOnly: true });
    expect(pending.pending).toHaveLength(1);
    expect(pending.pending[0]!.digest).toBe(built.digest);

    const plan = await planPromotion('app', 'prod', ctx);
    expect(plan.targets.map((t) => t.tag)).toEqual(['tested', '1.4.0']);
    expect(plan.action).toBe('copy');
    expect(plan.approval.state).toBe('pending');
    const decided = await approve(`app@${built.digest}`, 'prod', { ...ctx, by: 'rm-alice', comment: 'ship it' });
    expect(decided.state.state).toBe('approved');
    expect(decided.plan.planHash).toBe(plan.planHash);

    report = await promote('prod', ctx);
    expect(report.ok).toBe(true);
    expect(report.results[0]!.outcome).toBe('promoted');
    for (const tag of ['tested', '1.4.0']) {
      const served = await rawGetManifest(regs.prod.url, repo, tag);
      expect(served.bytes.equals(built.manifest)).toBe(true);
      expect((await skopeoInspectRaw(`${regs.prod.host}/${repo}:${tag}`)).equals(built.manifest)).toBe(true);
    }
    // The evidence travelled: statuses from both stages, the approval, the promotion records.
    const prodRepo = ctx.client.repository(Reference.parse(`${regs.prod.host}/${repo}`));
    const statuses = await listRecords<{ name: string; value: string }>(prodRepo, 'status', built.digest);
    expect(statuses.map((s) => `${s.body.name}=${s.body.value}`).sort()).toEqual(['scan=clean', 'tests=failed', 'tests=passed']);
    expect(await listRecords(prodRepo, 'approval', built.digest)).toHaveLength(1);
    expect((await listRecords(prodRepo, 'promotion', built.digest)).length).toBeGreaterThanOrEqual(2);
    const prodStatus = await getStatuses(`${regs.prod.host}/${repo}:1.4.0`, { client: ctx.client });
    expect(prodStatus.current.map((s) => s.name)).toEqual(['scan', 'tests']);

    const hist = await history('app', ctx);
    expect(hist.map((h) => h.stage)).toEqual(['prod', 'tested']);
    expect(hist[0]!.approvedBy).toEqual(['rm-alice']);
    const inv = await inventory(ctx);
    const prodEntry = inv.find((e) => e.stage === 'prod')!;
    expect(prodEntry.digest).toBe(built.digest);
    expect(prodEntry.tags.sort()).toEqual(['1.4.0', 'tested']);
    expect(prodEntry.promotedAt).toBeDefined();
    expect((await promote('prod', ctx)).results[0]!.outcome).toBe('no-op');
  });

  /** Puts `version` straight into ci-tests:tested with scan=clean, ready for the prod stage. */
  async function readyForProd(ctx: PromotionContext, repo: string, version: string) {
    const built = await pushVersioned(regs.tests, repo, 'tested', version);
    await setStatus(`${regs.tests.host}/${repo}@${built.digest}`, 'scan', 'clean', { client: ctx.client, topology: ctx.topology });
    return built;
  }

  it('binds approvals to the plan: a tag moved after approval voids it; --digest lands the approved digest; immutable tags refuse', async () => {
    const { repo, ctx } = setup();
    const a = await readyForProd(ctx, repo, '1.0.0');
    await approve(`app@${a.digest}`, 'prod', { ...ctx, by: 'alice' });
    // The source tag moves to another build after the approval.
    const b = await readyForProd(ctx, repo, '1.0.1');
    let report = await promote('prod', ctx);
    expect(report.errorCode).toBe('E_APPROVAL_PENDING');
    expect(report.results[0]!.digest).toBe(b.digest);
    report = await promote('prod', { ...ctx, digest: a.digest });
    expect(report.ok).toBe(true);
    expect((await rawGetManifest(regs.prod.url, repo, '1.0.0')).digest).toBe(a.digest);
    expect((await rawGetManifest(regs.prod.url, repo, 'tested')).digest).toBe(a.digest);

    await approve(`app@${b.digest}`, 'prod', { ...ctx, by: 'alice' });
    expect((await promote('prod', ctx)).ok).toBe(true);
    expect((await rawGetManifest(regs.prod.url, repo, 'tested')).digest).toBe(b.digest);

    // A rebuild claiming version 1.0.0 again: the immutable tag refuses, naming both digests.
    const c = await readyForProd(ctx, repo, '1.0.0');
    const plan = await planPromotion('app', 'prod', ctx);
    expect(plan.action).toBe('refused');
    report = await promote('prod', ctx);
    expect(report.errorCode).toBe('E_CONFLICT');
    expect(report.results[0]!.error!.message).toContain('1.0.0');
    expect(report.results[0]!.error!.message).toContain(a.digest);
    expect(report.results[0]!.error!.message).toContain(c.digest);
    expect((await rawGetManifest(regs.prod.url, repo, '1.0.0')).digest).toBe(a.digest);
    // Same digest again under an immutable tag is a no-op.
    expect((await promote('prod', { ...ctx, digest: a.digest })).results[0]!.outcome).not.toBe('failed');
  });

  it('manual approval with quorum 2 needs two distinct approvers; a rejection rejects', async () => {
    const { repo, ctx } = setup('{type: manual, quorum: 2, approvers: [alice, bob, carol]}');
    const a = await readyForProd(ctx, repo, '2.0.0');
    const input = `app@${a.digest}`;
    expect((await approve(input, 'prod', { ...ctx, by: 'alice' })).state.state).toBe('pending');
    expect((await approve(input, 'prod', { ...ctx, by: 'alice' })).state.state).toBe('pending');
    await expect(approve(input, 'prod', { ...ctx, by: 'mallory' })).rejects.toMatchObject({ code: 'E_POLICY' });
    expect((await promote('prod', ctx)).errorCode).toBe('E_APPROVAL_PENDING');
    const done = await approve(input, 'prod', { ...ctx, by: 'bob' });
    expect(done.state).toMatchObject({ state: 'approved', approvedBy: ['alice', 'bob'] });
    expect((await promote('prod', ctx)).ok).toBe(true);

    const b = await readyForProd(ctx, repo, '2.0.1');
    const inputB = `app@${b.digest}`;
    await approve(inputB, 'prod', { ...ctx, by: 'alice' });
    await reject(inputB, 'prod', { ...ctx, by: 'carol', comment: 'CVE pending' });
    await approve(inputB, 'prod', { ...ctx, by: 'bob' });
    const report = await promote('prod', ctx);
    expect(report.errorCode).toBe('E_APPROVAL_REJECTED');
    expect(report.results[0]!.error!.message).toContain('CVE pending');
    const all = await listApprovals(ctx);
    expect(all.decisions.filter((d) => d.digest === b.digest)).toHaveLength(3);
  });

  it('approval by command: the plan on stdin, exit 0 approves, anything else rejects with its output', async () => {
    const script = join(promotionFixture(regs).dir, 'approve.mjs');
    writeFileSync(script, `let s='';process.stdin.on('data',(c)=>s+=c).on('end',()=>{const p=JSON.parse(s);
if (p.version==='3.0.0' && p.gatesPassed && p.source.digest===process.env.REGTOPO_DIGEST) process.exit(0);
console.error('version '+p.version+' is not on the release train');process.exit(3);});\n`);
    const { repo, ctx } = setup(`{type: command, command: '"${process.execPath}" ${script}', timeout: 10}`);
    await readyForProd(ctx, repo, '3.0.1');
    let report = await promote('prod', ctx);
    expect(report.errorCode).toBe('E_APPROVAL_REJECTED');
    expect(report.results[0]!.error!.message).toContain('3.0.1 is not on the release train');
    const a = await readyForProd(ctx, repo, '3.0.0');
    report = await promote('prod', ctx);
    expect(report.ok).toBe(true);
    expect((await rawGetManifest(regs.prod.url, repo, '3.0.0')).digest).toBe(a.digest);
    const prodRepo = ctx.client.repository(Reference.parse(`${regs.prod.host}/${repo}`));
    const approvals = await listRecords<{ decision: string; hook?: { type: string } }>(prodRepo, 'approval', a.digest);
    expect(approvals.map((r) => [r.body.decision, r.body.hook?.type])).toEqual([['approved', 'command']]);
  });

  it('approval by webhook: headers from env, retried after a 5xx, {"approved": true} approves', async () => {
    const seen: Array<{ auth?: string; team?: string | string[]; body: { planHash: string } }> = [];
    let calls = 0;
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        calls++;
        if (calls === 1) {
          res.writeHead(503).end('busy');
          return;
        }
        seen.push({ auth: req.headers.authorization, team: req.headers['x-team'], body: JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ approved: true, by: 'release-bot' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const { repo, ctx } = setup(`{type: webhook, url: 'http://127.0.0.1:${port}/approve', headers: {Authorization: 'Bearer \${HOOK_TOKEN}', X-Team: TEAM}, timeout: 5, retries: 2}`);
      ctx.env = { HOOK_TOKEN: 's3cret', TEAM: 'release' };
      const a = await readyForProd(ctx, repo, '4.0.0');
      const report = await promote('prod', ctx);
      expect(report.ok).toBe(true);
      expect(calls).toBe(2);
      expect(seen[0]!.auth).toBe('Bearer s3cret');
      expect(seen[0]!.team).toBe('release');
      expect(seen[0]!.body.planHash).toBe(report.results[0]!.plan!.planHash);
      expect((await history('app', ctx))[0]!.approvedBy).toEqual(['release-bot']);
      expect((await rawGetManifest(regs.prod.url, repo, '4.0.0')).digest).toBe(a.digest);
    } finally {
      server.close();
    }
  });

  it('a promotion cut off before its tags are set converges on rerun', async () => {
    const proxy = await startFaultProxy(regs.prod.url);
    try {
      const fx = promotionFixture(regs, { prodUrl: proxy.url });
      const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci' };
      contexts.push(ctx);
      const a = await readyForProd(ctx, fx.repo, '5.0.0');
      await approve(`app@${a.digest}`, 'prod', { ...ctx, by: 'alice' });
      proxy.addRule({ method: 'PUT', path: /\/manifests\/5\.0\.0$/, fault: { kind: 'status', status: 500 } });
      const failed = await promote('prod', ctx);
      expect(failed.ok).toBe(false);
      const prodRepo = ctx.client.repository(Reference.parse(`${proxy.host}/${fx.repo}`));
      expect(await listRecords(prodRepo, 'promotion', a.digest)).toHaveLength(0);
      proxy.clearRules();
      const rerun = await promote('prod', ctx);
      expect(rerun.ok).toBe(true);
      expect(rerun.results[0]!.outcome).toBe('promoted');
      for (const tag of ['tested', '5.0.0']) expect((await rawGetManifest(regs.prod.url, fx.repo, tag)).bytes.equals(a.manifest)).toBe(true);
      expect(await listRecords(prodRepo, 'promotion', a.digest)).toHaveLength(1);
      expect((await promote('prod', ctx)).results[0]!.outcome).toBe('no-op');
    } finally {
      await proxy.stop();
    }
  });

  it('a promote process killed (SIGKILL) mid-promotion converges on rerun', async () => {
    const proxy = await startFaultProxy(regs.prod.url);
    try {
      const fx = promotionFixture(regs, { prodUrl: proxy.url });
      const ctx: PromotionContext = { topology: fx.topology, client: fx.client, by: 'ci-bot' };
      contexts.push(ctx);
      const built = await readyForProd(ctx, fx.repo, '6.0.0');
      await approve(`app@${built.digest}`, 'prod', { ...ctx, by: 'alice' });
      // The version tag's PUT reaches the proxy and is never answered: the process is mid-promotion.
      proxy.addRule({ method: 'PUT', path: /\/manifests\/6\.0\.0$/, times: 1, fault: { kind: 'hang' } });
      const child = spawn(process.execPath, [BIN, 'promote', 'app', '--to', 'prod', '-f', fx.file], { stdio: 'ignore', env: { ...process.env, XDG_CACHE_HOME: fx.dir, DOCKER_CONFIG: fx.dir } });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const deadline = Date.now() + 20_000;
      while (!proxy.requests.some((r) => r.method === 'PUT' && /\/manifests\/6\.0\.0$/.test(r.path))) {
        if (Date.now() > deadline) throw new Error('promote never reached the version tag');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await exited;
      expect((await rawGetManifest(regs.prod.url, fx.repo, '6.0.0')).status).toBe(404);
      expect((await rawGetManifest(regs.prod.url, fx.repo, built.digest)).status).toBe(200); // copied, not yet tagged

      const rerun = await runCli(['promote', 'app', '--to', 'prod', '-f', fx.file, '-o', 'json'], {}, fx.dir);
      expect(rerun.code).toBe(0);
      for (const t of ['tested', '6.0.0']) expect((await rawGetManifest(regs.prod.url, fx.repo, t)).digest).toBe(built.digest);
      const third = await runCli(['promote', 'app', '--to', 'prod', '-f', fx.file, '-o', 'json'], {}, fx.dir);
      expect(third.code).toBe(0);
      expect(third.json().results[0].outcome).toBe('no-op');
    } finally {
      await proxy.stop();
    }
  });

  it('the verbs work without a client: each makes one from the topology (and closes it); by defaults to $REGTOPO_USER', async () => {
    const { repo, topology, dir } = setup();
    await pushVersioned(regs.snapshots, repo, 'latest', '7.0.0');
    // HOME without a docker config: the made client is anonymous, as these registries want.
    const env = { REGTOPO_USER: 'env-bot', HOME: dir };
    await setStatus(`${regs.snapshots.host}/${repo}:latest`, 'tests', 'passed', { topology, env });
    expect((await getStatuses(`${regs.snapshots.host}/${repo}:latest`, { topology, env })).current).toEqual([expect.objectContaining({ name: 'tests', value: 'passed', by: 'env-bot' })]);
    expect(await planPromotion('app', 'tested', { topology, env })).toMatchObject({ gatesPassed: true, action: 'copy' });
    expect((await promote('tested', { topology, env })).ok).toBe(true);
    expect((await history('app', { topology, env }))[0]).toMatchObject({ stage: 'tested', by: 'env-bot' });
    expect((await inventory({ topology, env, images: ['app'] })).find((e) => e.stage === 'tested')).toMatchObject({ tags: ['tested'] });
  });

  it('finds records listed only as referrers (OCI fallback tag), e.g. copied by another tool', async () => {
    const { repo, ctx } = setup();
    const built = await pushVersioned(regs.snapshots, repo, 'latest', '9.0.0');
    const snap = `${regs.snapshots.host}/${repo}`;
    await setStatus(`${snap}:latest`, 'tests', 'passed', { client: ctx.client, by: 'ci' });
    const written = (await getStatuses(`${snap}:latest`, { client: ctx.client })).current[0]!;
    // Another repository gets the image and the record by digest only, plus a referrers fallback index.
    const other = `${repo}-mirror`;
    await copy(`${snap}@${built.digest}`, `${regs.snapshots.host}/${other}:v9`, { client: ctx.client });
    await copy(`${snap}@${written.record}`, `${regs.snapshots.host}/${other}@${written.record}`, { client: ctx.client });
    const target = ctx.client.repository(Reference.parse(`${regs.snapshots.host}/${other}`));
    const recordDesc = await target.headManifest(written.record);
    const index = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [{ ...recordDesc, artifactType: 'application/vnd.regtopo.status.v1+json' }],
    }));
    await target.putManifest(built.digest.replace(':', '-'), { bytes: index, mediaType: MediaType.OciIndex, digest: digestOf(index) });
    expect((await target.listTags()).filter((t) => t.startsWith('rts-'))).toEqual([]);
    const found = await getStatuses(`${regs.snapshots.host}/${other}:v9`, { client: ctx.client });
    expect(found.current).toEqual([expect.objectContaining({ name: 'tests', value: 'passed', record: written.record, tag: '' })]);
  });

  it('16 concurrent status writers on one digest all land; 8 concurrent promotes give one result', async () => {
    const { repo, ctx } = setup();
    const built = await pushVersioned(regs.snapshots, repo, 'latest', '6.0.0');
    const ref = `${regs.snapshots.host}/${repo}:latest`;
    await Promise.all(Array.from({ length: 16 }, (_, i) => setStatus(ref, `check-${i}`, `v${i}`, { client: ctx.client, topology: ctx.topology })));
    await setStatus(ref, 'tests', 'passed', { client: ctx.client, topology: ctx.topology });
    const st = await getStatuses(ref, { client: ctx.client });
    expect(st.current).toHaveLength(17);
    for (let i = 0; i < 16; i++) expect(st.current.find((s) => s.name === `check-${i}`)?.value).toBe(`v${i}`);

    const reports = await Promise.all(Array.from({ length: 8 }, () => promote('tested', ctx)));
    for (const r of reports) {
      expect(r.results[0]!.error, JSON.stringify(r.results[0]!.error)).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.results[0]!.digest).toBe(built.digest);
    }
    expect((await rawGetManifest(regs.tests.url, repo, 'tested')).digest).toBe(built.digest);
    const hist = await history('app', ctx);
    expect(hist).toHaveLength(1);
    const copied = await getStatuses(`${regs.tests.host}/${repo}:tested`, { client: ctx.client });
    expect(copied.current).toHaveLength(17);
    expect((await skopeoInspectRaw(`${regs.tests.host}/${repo}:tested`)).equals(built.manifest)).toBe(true);
  });

  it('runs the promotion demo story end to end, on the example topology', async () => {
    const { runPromotionDemo } = await import('../../src/demo/promotion-demo.js');
    const { startDemoTopology } = await import('../../src/demo/demo-topology.js');
    const demo = await startDemoTopology();
    const client = clientForTopology(demo.config, { credentials: staticCredentials({}) });
    const lines: string[] = [];
    try {
      const steps = await runPromotionDemo({ demo, client, log: (l) => lines.push(l) });
      expect(steps.map((s) => s.step)).toEqual(['promotion-push', 'status', 'promote-tested', 'promote-prod-refused', 'status', 'promote-prod-pending', 'approvals-pending', 'approve', 'promote-prod', 'inventory', 'history']);
      expect(lines.join('\n')).toContain('E_GATE_FAILED');
      // The demo approves with a key it generated for alice; the approver is the key's name in the topology.
      expect(steps.find((s) => s.step === 'approve')!.detail).toMatchObject({ by: 'alice', signed: true });
      expect(lines.join('\n')).toContain('E_APPROVAL_PENDING');
      expect(lines.join('\n')).toMatch(/promote → prod: promoted/);
    } finally {
      await client.close();
      await demo.stop();
    }
  });

});
