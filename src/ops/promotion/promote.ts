/**
 * `promote`: for each image, plan (the one resolution of the source digest), refuse on tag policy,
 * check gates, obtain the approval (recorded manual decisions, or ask the command/webhook hook and
 * record its answer), copy by digest, set the tags, carry the records over, and write the promotion
 * record last. Every step is idempotent, so a rerun after success does nothing and a rerun after a
 * crash finishes the job. One failing image never stops the others.
 */
import { errorSummary, RegtopoError, type ErrorCode } from '../../errors.js';
import type { Reference } from '../../ref/reference.js';
import type { ApprovalBody } from './approval-state.js';
import { actor, authorizePromotionWrite, findStage, nowOf, type PromotionContext } from './context.js';
import { copy, DEFAULT_JOBS } from '../copy.js';
import { concurrencyLimit } from '../../topology/registry-lookup.js';
import { describeFailedGates } from './gates.js';
import { runCommandHook, runWebhookHook, type HookDecision } from './hooks.js';
import { planDetail, type PlanDetail, type PlanOptions, type PromotionPlan } from './plan.js';
import { writePromotionRecord, type PromotionBody } from './promotion-record.js';
import { listRecords, writeRecord } from './records.js';
import { syncRecords, type RecordSyncResult } from './record-sync.js';
import { replicateAfterPromotion, type PromotionReplication } from '../replicate/after-promotion.js';

export interface PromoteOptions extends PlanOptions {
  stage: string;
  /** Image names from the topology; default: every promotion image. */
  images?: string[];
  /** Plan and check only; nothing is written and no hook is asked. */
  dryRun?: boolean;
  /** Replicate into the target prod's replicas afterwards (default true; issue 11). */
  replicate?: boolean;
}

export interface PromoteItem {
  image: string;
  stage: string;
  outcome: 'promoted' | 'no-op' | 'planned' | 'failed';
  digest?: string;
  plan?: PromotionPlan;
  tags?: Array<{ ref: string; action: 'created' | 'moved' | 'unchanged'; previous?: string }>;
  records?: RecordSyncResult;
  /** Digest of the promotion record written in the target. */
  promotionRecord?: string;
  hook?: HookDecision;
  error?: { code: ErrorCode; message: string };
}

export interface PromoteReport {
  stage: string;
  ok: boolean;
  /** The failures' common code, or E_PARTIAL when they differ. */
  errorCode?: ErrorCode;
  results: PromoteItem[];
  /** Present when the target prod has replicas: the replication that followed (issue 11). */
  replication?: PromotionReplication;
}

export async function promote(ctx: PromotionContext, options: PromoteOptions): Promise<PromoteReport> {
  const stage = findStage(ctx.topology, options.stage);
  const images = options.images?.length ? options.images : ctx.topology.promotion.images.map((i) => i.name);
  if (images.length === 0) throw new RegtopoError('E_USAGE', 'the topology declares no promotion images');
  if (options.digest && images.length > 1) throw new RegtopoError('E_USAGE', '--digest applies to one image; name exactly one');
  const results = await Promise.all(images.map((image) => promoteOne(ctx, image, stage.name, options)));
  const codes = [...new Set(results.filter((r) => r.error).map((r) => r.error!.code))];
  // Replication (issue 11): what was promoted into a prod with replicas goes to them; it never undoes the promotion.
  const promoted = results.filter((r) => r.outcome === 'promoted' || r.outcome === 'no-op').map((r) => r.image);
  const replication = options.replicate === false || options.dryRun ? undefined : await replicateAfterPromotion(ctx, stage.to, promoted);
  return { stage: stage.name, ok: codes.length === 0, ...(codes.length ? { errorCode: codes.length === 1 ? codes[0]! : 'E_PARTIAL' } : {}), results, ...(replication ? { replication } : {}) };
}

async function promoteOne(ctx: PromotionContext, image: string, stage: string, options: PromoteOptions): Promise<PromoteItem> {
  const item: PromoteItem = { image, stage, outcome: 'failed' };
  try {
    const detail = await planDetail(ctx, image, stage, { digest: options.digest, version: options.version });
    item.plan = detail.plan;
    item.digest = detail.plan.source.digest;
    await run(ctx, detail, item, options.dryRun ?? false);
  } catch (err) {
    item.outcome = 'failed';
    item.error = errorSummary(err);
  }
  return item;
}

async function run(ctx: PromotionContext, detail: PlanDetail, item: PromoteItem, dryRun: boolean): Promise<void> {
  const { plan } = detail;
  const stage = findStage(ctx.topology, plan.stage);
  const refused = plan.targets.find((t) => t.action === 'refused');
  if (refused) throw new RegtopoError('E_POLICY', refused.reason ?? `${refused.ref}: refused`);
  if (!plan.gatesPassed) throw new RegtopoError('E_GATE_FAILED', `${plan.image} ${plan.source.ref} → ${plan.stage}: gates not satisfied: ${describeFailedGates(plan.gates)}`);
  if (plan.promoted && plan.action === 'no-op') {
    item.outcome = 'no-op';
    return;
  }
  const approval = plan.approval;
  if (approval.state === 'rejected' && approval.type === 'manual') throw new RegtopoError('E_APPROVAL_REJECTED', `${plan.image}@${plan.source.digest} → ${plan.stage}: ${approval.reason}`);
  if (approval.state !== 'approved' && approval.state !== 'not-required') {
    if (approval.type === 'manual') {
      throw new RegtopoError('E_APPROVAL_PENDING', `${plan.image}@${plan.source.digest} → ${plan.stage}: approval pending (${approval.reason}); run: regtopo approve ${plan.image}@${plan.source.digest} --stage ${plan.stage} --by NAME`);
    }
    if (dryRun) {
      item.outcome = 'planned';
      return;
    }
    const decision = await askHook(ctx, detail);
    item.hook = decision;
    if (!decision.approved) throw new RegtopoError('E_APPROVAL_REJECTED', `${plan.image}@${plan.source.digest} → ${plan.stage}: ${approval.type} hook rejected: ${decision.output || 'no reason given'}`);
  }
  if (dryRun) {
    item.outcome = 'planned';
    return;
  }

  const { sourceRef, targetRef, subject } = detail;
  const digest = subject.digest;
  const authorize = (ref: Reference) => authorizePromotionWrite(ctx.topology, ref);
  authorize(targetRef);
  const sameRepository = sourceRef.name === targetRef.name;
  const srcRepo = ctx.client.repository(sourceRef);
  const dstRepo = ctx.client.repository(targetRef);
  if (!sameRepository) {
    // By digest on both sides: the exact approved content, whatever the source tags do meanwhile.
    const jobs = Math.min(DEFAULT_JOBS, concurrencyLimit(ctx.topology, sourceRef, targetRef) ?? DEFAULT_JOBS);
    await copy({ kind: 'registry', ref: sourceRef.withDigest(digest) }, { kind: 'registry', ref: targetRef.withDigest(digest) }, { client: ctx.client, jobs });
  }
  const raw = await dstRepo.getManifest(digest);
  item.tags = [];
  for (const target of plan.targets) {
    // Checked again right before the write: another run may have set the tag since planning.
    const current = (await dstRepo.headManifest(target.tag))?.digest;
    if (current === digest) {
      item.tags.push({ ref: target.ref, action: 'unchanged' });
      continue;
    }
    if (current && !stage.movingTags.includes(target.tag)) {
      throw new RegtopoError('E_POLICY', `immutable tag ${target.ref} already holds ${current}; refusing to move it to ${digest}`);
    }
    await dstRepo.putManifest(target.tag, raw);
    item.tags.push(current ? { ref: target.ref, action: 'moved', previous: current } : { ref: target.ref, action: 'created' });
  }
  if (!sameRepository) item.records = await syncRecords(ctx.client, sourceRef, targetRef, digest, authorize);

  // The promotion record comes last: its presence means the whole edge is done.
  const existing = await listRecords<PromotionBody>(dstRepo, 'promotion', digest);
  const mine = existing.find((r) => r.body.planHash === plan.planHash && r.body.stage === plan.stage);
  if (mine) {
    item.promotionRecord = mine.digest;
  } else {
    const now = nowOf(ctx);
    const approvals = (await listRecords<ApprovalBody>(srcRepo, 'approval', digest))
      .filter((r) => r.body.planHash === plan.planHash && r.body.stage === plan.stage && r.body.decision === 'approved');
    const body: PromotionBody = {
      kind: 'promotion', subject: digest, image: plan.image, stage: plan.stage, from: plan.from, to: plan.to,
      source: plan.source.ref, ...(plan.source.tag ? { sourceTag: plan.source.tag } : {}), targets: plan.targets.map((t) => t.ref),
      planHash: plan.planHash, evidence: plan.evidence, approvals: approvals.map((a) => a.digest),
      approvedBy: [...new Set(approvals.map((a) => a.body.by))].sort(), ...(plan.version !== undefined ? { version: plan.version } : {}),
      by: actor(ctx), at: new Date(now).toISOString(),
    };
    const written = await writePromotionRecord(dstRepo, subject, body, now);
    item.promotionRecord = written.digest;
    if (!sameRepository) await writePromotionRecord(srcRepo, subject, body, now);
  }
  item.outcome = item.tags.every((t) => t.action === 'unchanged') && !item.records?.copied && mine ? 'no-op' : 'promoted';
}

async function askHook(ctx: PromotionContext, detail: PlanDetail): Promise<HookDecision> {
  const { plan } = detail;
  const spec = findStage(ctx.topology, plan.stage).approval!;
  const env = ctx.env ?? process.env;
  let decision: HookDecision;
  if (spec.type === 'command') decision = await runCommandHook(spec, plan, env);
  else if (spec.type === 'webhook') decision = await runWebhookHook(spec, plan, env);
  else throw new RegtopoError('E_INTERNAL', 'manual approvals have no hook');
  authorizePromotionWrite(ctx.topology, detail.sourceRef);
  const now = nowOf(ctx);
  const body: ApprovalBody = {
    kind: 'approval', subject: plan.source.digest, image: plan.image, stage: plan.stage, planHash: plan.planHash,
    decision: decision.approved ? 'approved' : 'rejected', by: decision.by, at: new Date(now).toISOString(),
    hook: { type: spec.type, output: decision.output, ...(decision.exitCode !== undefined ? { exitCode: decision.exitCode } : {}), ...(decision.status !== undefined ? { status: decision.status } : {}) },
  };
  await writeRecord(ctx.client.repository(detail.sourceRef), detail.subject, 'approval', body, { name: plan.stage, value: body.decision, now });
  return decision;
}
