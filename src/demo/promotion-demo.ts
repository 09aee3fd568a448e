/**
 * The promotion story of `regtopo demo`, on the example topology as it is: CI pushes `app:latest`
 * to ci-snapshots, records `tests=passed`, promotes to `tested`; prod refuses until the scanner's
 * signed `scan=clean`, then waits for an approval (listed by `approvals --pending`); alice approves
 * with her SSH key, prod gets `tested` and `1.0.0` (replicated to prod-eu and prod-us, as promote
 * does), and inventory and history show the result. Each step prints its CLI command first.
 */
import type { PromotionOptions } from '../ops/promotion/context.js';
import type { PromoteReport } from '../ops/promotion/promote.js';
// The public verbs, as a library user would call them.
import { approve, history, inventory, listApprovals, promote } from '../ops/promotion/verbs.js';
import { setStatus } from '../ops/promotion/statuses.js';
import { resolveRegistryRef } from '../topology/registry-lookup.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { pushDemoImage } from './demo-image.js';
import type { DemoTopology } from './demo-topology.js';

export interface PromotionDemoContext {
  demo: DemoTopology;
  client: RegistryClient;
  /** Narration, one line at a time. */
  log: (line: string) => void;
}

export interface PromotionDemoStep {
  step: string;
  detail: Record<string, unknown>;
}

export async function runPromotionDemo(ctx: PromotionDemoContext): Promise<PromotionDemoStep[]> {
  const steps: PromotionDemoStep[] = [];
  const say = (step: string, detail: Record<string, unknown>, line: string) => {
    steps.push({ step, detail });
    ctx.log(line);
  };
  const { demo, client } = ctx;
  const cmd = (args: string[]) => ctx.log(demo.command(args));
  const config = demo.config;
  const image = config.promotion.images[0]!;
  const [tested, prod] = config.promotion.stages;
  const pctx: PromotionOptions = { topology: config, client, by: 'ci-bot' };

  const snapshot = resolveRegistryRef(config, image.source, `${image.repository}:latest`);
  ctx.log(`# CI pushes a generated 2-platform image, version label 1.0.0, to ${image.source}: ${snapshot}`);
  const digest = await pushDemoImage(client.repository(snapshot), 'latest', {
    platforms: ['linux/amd64', 'linux/arm64/v8'], layersPerPlatform: 2, layerBytes: 64 * 1024, version: '1.0.0',
  });
  say('promotion-push', { ref: snapshot.toString(), digest }, `pushed ${snapshot} → ${digest}`);

  cmd(['status', 'set', snapshot.toString(), 'tests=passed', '--by', 'ci-bot', '--detail', '412 tests']);
  await setStatus(snapshot, 'tests', 'passed', { client, topology: config, by: 'ci-bot', detail: '412 tests' });
  say('status', { name: 'tests', value: 'passed' }, 'recorded status tests=passed next to the image (an OCI artifact with subject = the digest)');

  cmd(['promote', image.name, '--to', tested!.name]);
  const first = await promote(tested!.name, pctx);
  say('promote-tested', { report: first }, `promote → ${tested!.name}: ${outcome(first)}`);

  cmd(['promote', image.name, '--to', prod!.name]);
  const refused = await promote(prod!.name, pctx);
  say('promote-prod-refused', { report: refused }, `promote → ${prod!.name}: ${outcome(refused)}`);

  const testedRef = resolveRegistryRef(config, tested!.to, `${image.repository}:${tested!.targetTags[0]}`);
  cmd(['status', 'set', testedRef.toString(), 'scan=clean', '--key', demo.keys.scanner.privateFile]);
  await setStatus(testedRef, 'scan', 'clean', { client, topology: config, keyFile: demo.keys.scanner.privateFile });
  say('status', { name: 'scan', value: 'clean', signedBy: 'scanner' }, 'the scanner recorded scan=clean on the tested digest, signed with its SSH key (the gate counts only its signature)');

  cmd(['promote', image.name, '--to', prod!.name]);
  const pending = await promote(prod!.name, pctx);
  say('promote-prod-pending', { report: pending }, `promote → ${prod!.name}: ${outcome(pending)}`);

  cmd(['approvals', '--pending']);
  const waiting = await listApprovals({ ...pctx, pendingOnly: true });
  say('approvals-pending', { pending: waiting.pending }, waiting.pending.map((p) => `pending: ${p.image}@${p.digest.slice(0, 19)}… → ${p.stage}, version ${p.version ?? '(none: pass --version)'}, ${p.approvedBy.length}/${p.quorum} approvals`).join('\n') || 'pending: none');

  const version = waiting.pending[0]?.version ?? '1.0.0';
  cmd(['approve', `${image.name}@${digest}`, '--stage', prod!.name, '--version', version, '--key', demo.keys.alice.privateFile, '--comment', 'demo release']);
  const decision = await approve(`${image.name}@${digest}`, prod!.name, { ...pctx, version, comment: 'demo release', keyFile: demo.keys.alice.privateFile });
  say('approve', { record: decision.record, planHash: decision.plan.planHash, by: decision.by, signed: decision.signed },
    `${decision.by} approved ${image.name}@${digest.slice(0, 19)}… for ${prod!.name} with an SSH signature over the plan ${decision.plan.planHash.slice(0, 19)}… (the name comes from the key that verifies)`);

  cmd(['promote', image.name, '--to', prod!.name]);
  const done = await promote(prod!.name, pctx);
  const rep = done.replication?.report;
  const replication = rep ? `; replicated to ${rep.replicas.map((r) => r.name).join(', ')}: ${rep.summary.copied} tags copied${done.replication!.ok ? '' : ` (${done.replication!.message ?? 'incomplete'})`}` : '';
  say('promote-prod', { report: done }, `promote → ${prod!.name}: ${outcome(done)}${replication}`);

  cmd(['inventory']);
  const inv = await inventory(pctx);
  say('inventory', { inventory: inv }, 'inventory:');
  for (const e of inv) ctx.log(`  ${e.stage.padEnd(8)} ${e.registry.padEnd(12)} ${e.digest ? `${e.digest.slice(0, 19)}… [${e.tags.join(', ')}] ${e.statuses.map((s) => `${s.name}=${s.value}`).join(' ')}` : '-'}`);
  cmd(['history', image.name]);
  const past = await history(image.name, pctx);
  say('history', { history: past }, 'history (newest first):');
  for (const h of past) ctx.log(`  ${h.at} ${h.stage} by ${h.by}${h.approvedBy.length ? `, approved by ${h.approvedBy.join(', ')}` : ''} → ${h.targets.join(', ')}`);
  return steps;
}

function outcome(report: PromoteReport): string {
  const r = report.results[0];
  if (!r) return 'nothing';
  if (r.error) return `refused [${r.error.code}] ${r.error.message}`;
  return `${r.outcome}${r.tags ? ` (${r.tags.map((t) => `${t.ref.slice(t.ref.lastIndexOf(':') + 1)} ${t.action}`).join(', ')})` : ''}`;
}
