/**
 * The promotion story for `npm run demo`, on registries already started: push `app:latest` to
 * ci-snapshots, record its test status, promote to `tested`, attempt prod (the scan gate refuses),
 * record the scan, see the approval pending, approve, promote, and show inventory and history.
 * The release manager and the scanner sign with SSH keys the demo generates (ssh-keygen), listed
 * under `keys:` in the demo topology, so the approval counts because its signature verifies.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWithTimeout } from '../process/run-with-timeout.js';
import type { PromoteReport } from '../ops/promotion/promote.js';
import type { PromotionOptions } from '../ops/promotion/context.js';
import { approve, history, inventory, promote } from '../ops/promotion/verbs.js';
import { setStatus } from '../ops/promotion/statuses.js';
import { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../topology/load.js';
import { pushDemoImage } from './demo-image.js';

export interface PromotionDemoContext {
  /** host:port of each started registry, by topology name; needs ci-snapshots, ci-tests and prod. */
  hosts: Record<string, string>;
  client: RegistryClient;
  /** Narration, one line at a time. */
  log: (line: string) => void;
  /** Repository of the demo image (default demo/app). */
  repository?: string;
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
  const repository = ctx.repository ?? 'demo/app';
  const host = (name: string) => {
    const h = ctx.hosts[name];
    if (!h) throw new Error(`runPromotionDemo: no host for registry "${name}"`);
    return h;
  };
  const keyDir = await mkdtemp(join(tmpdir(), 'regtopo-demo-keys-'));
  try {
    const keys = { releaseManager: await demoKey(keyDir, 'release-manager'), scanner: await demoKey(keyDir, 'scanner') };
    return await story(ctx, say, steps, host, repository, keys);
  } finally {
    await rm(keyDir, { recursive: true, force: true });
  }
}

interface DemoKey {
  privateFile: string;
  line: string;
}

/** A throwaway ed25519 key (no passphrase): what a release manager would have in ~/.ssh. */
async function demoKey(dir: string, name: string): Promise<DemoKey> {
  const privateFile = join(dir, name);
  const r = await runWithTimeout('ssh-keygen', { args: ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@regtopo-demo`, '-f', privateFile], timeoutMs: 30_000, outputLimit: 4096, what: 'ssh-keygen' });
  if (r.exitCode !== 0) throw new Error(`ssh-keygen could not make the demo key: ${r.stderr.toString().trim()}`);
  return { privateFile, line: (await readFile(`${privateFile}.pub`, 'utf8')).trim() };
}

async function story(
  ctx: PromotionDemoContext, say: (step: string, detail: Record<string, unknown>, line: string) => void, steps: PromotionDemoStep[],
  host: (name: string) => string, repository: string, keys: { releaseManager: DemoKey; scanner: DemoKey },
): Promise<PromotionDemoStep[]> {
  const text = `version: 1
keys:
  release-manager: '${keys.releaseManager.line}'
  scanner: '${keys.scanner.line}'
registries:
  ci-snapshots: {role: ci, url: 'http://${host('ci-snapshots')}'}
  ci-tests: {role: ci, url: 'http://${host('ci-tests')}'}
  prod: {role: prod, url: 'http://${host('prod')}'}
promotion:
  images: [{name: app, repository: ${repository}, source: ci-snapshots}]
  stages:
    - {name: tested, from: ci-snapshots, to: ci-tests, tags: [latest], targetTags: [tested], gates: [{status: unit-tests, equals: passed}]}
    - name: prod
      from: ci-tests
      to: prod
      tags: [tested]
      targetTags: [tested, '{version}']
      gates: [{status: security-scan, in: [passed, waived], signedBy: [scanner]}]
      approval: {type: manual, approvers: [release-manager]}
`;
  const topology = requireValidTopology(parseTopology(text, 'demo-promotion.yaml'));
  const pctx: PromotionOptions = { topology, client: ctx.client, by: 'ci-bot' };
  const snapshot = Reference.of(host('ci-snapshots'), repository, 'latest');
  const digest = await pushDemoImage(ctx.client.repository(snapshot), 'latest', {
    platforms: ['linux/amd64', 'linux/arm64/v8'], layersPerPlatform: 2, layerBytes: 64 * 1024, version: '1.0.0',
  });
  say('promotion-push', { ref: snapshot.toString(), digest }, `CI pushed ${snapshot} → ${digest}`);

  await setStatus(snapshot, 'unit-tests', 'passed', { client: ctx.client, topology, by: 'ci-bot', detail: '412 tests' });
  say('status', { name: 'unit-tests', value: 'passed' }, 'recorded status unit-tests=passed next to the image (an OCI artifact with subject = the digest)');

  const tested = await promote('tested', pctx);
  say('promote-tested', { report: tested }, `promote → tested: ${outcome(tested)}`);

  const refused = await promote('prod', pctx);
  say('promote-prod-refused', { report: refused }, `promote → prod: ${outcome(refused)}`);

  const testedRef = Reference.of(host('ci-tests'), repository, 'tested');
  await setStatus(testedRef, 'security-scan', 'passed', { client: ctx.client, topology, keyFile: keys.scanner.privateFile });
  say('status', { name: 'security-scan', value: 'passed', signedBy: 'scanner' }, 'the scanner recorded security-scan=passed on the tested digest, signed with its SSH key (the gate counts only its signature)');

  const pending = await promote('prod', pctx);
  say('promote-prod-pending', { report: pending }, `promote → prod: ${outcome(pending)}`);

  const decision = await approve(`app@${digest}`, 'prod', { ...pctx, comment: 'demo release', keyFile: keys.releaseManager.privateFile });
  say('approve', { record: decision.record, planHash: decision.plan.planHash, by: decision.by, signed: decision.signed }, `${decision.by} approved app@${digest.slice(0, 19)}… for prod with an SSH signature over the plan ${decision.plan.planHash.slice(0, 19)}… (the name comes from the key that verifies)`);

  const done = await promote('prod', pctx);
  say('promote-prod', { report: done }, `promote → prod: ${outcome(done)}`);

  const inv = await inventory(pctx);
  say('inventory', { inventory: inv }, 'inventory:');
  for (const e of inv) ctx.log(`  ${e.stage.padEnd(8)} ${e.registry.padEnd(12)} ${e.digest ? `${e.digest.slice(0, 19)}… [${e.tags.join(', ')}] ${e.statuses.map((s) => `${s.name}=${s.value}`).join(' ')}` : '-'}`);
  const past = await history('app', pctx);
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
