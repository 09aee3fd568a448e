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
import { actor, authorizePromotionWrite, clockSkewOf, findStage, nowOf, type PromotionContext } from './context.js';
import { setImmutableTag } from './tag-claim.js';
import { copy, DEFAULT_JOBS } from '../copy.js';
import { concurrencyLimit } from '../../topology/registry-lookup.js';
import { describeFailedGates, missingEvidenceHints } from './gates.js';
import { runCommandHook, runWebhookHook, type HookDecision } from './hooks.js';
import { planDetail, versionFlag, type PlanDetail, type PlanOptions, type PromotionPlan } from './plan.js';
import { writePromotionRecord, type PromotionBody } from './promotion-record.js';
import { listRecords, writeRecord } from './records.js';
import { syncRecords, type RecordSyncResult } from './record-sync.js';
import { replicateAfterPromotion, type PromotionReplication } from '../replicate/after-promotion.js';
import { mountCandidates } from '../mount-candidates.js';
import { progressFor, type ImageProgress } from '../image-progress.js';
import { carryPromotedReferrers } from '../referrers/promotion.js';
import type { ReferrerCopyResult } from '../referrers/carry.js';

export interface PromoteOptions extends PlanOptions {
  stage: string;
  /** Image names from the topology; default: every promotion image. */
  images?: string[];
  /** Plan and check only; nothing is written and no hook is asked. */
  dryRun?: boolean;
  /** Replicate into the target prod's replicas afterwards (default true; issue 11). */
  replicate?: boolean;
  /** Each image's copy events, by promotion image name; see ../image-progress.ts. */
  progress?: ImageProgress;
  /** Carry the digest's referrers (signatures, SBOMs, attestations) to the target (default true; issue 14). */
  referrers?: boolean;
}

export interface PromoteItem {
  image: string;
  stage: string;
  /** `pending`/`rejected`: an approval is outstanding or said no (a decision, not a failure). */
  outcome: 'promoted' | 'no-op' | 'planned' | 'pending' | 'rejected' | 'failed';
  digest?: string;
  plan?: PromotionPlan;
  tags?: Array<{ ref: string; action: 'created' | 'moved' | 'unchanged'; previous?: string }>;
  records?: RecordSyncResult;
  referrers?: ReferrerCopyResult;
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
  const replication = options.replicate === false || options.dryRun ? undefined : await replicateAfterPromotion(ctx, stage.to, promoted, { ...(options.progress && { progress: options.progress }), referrers: options.referrers !== false });
  return { stage: stage.name, ok: codes.length === 0, ...(codes.length ? { errorCode: codes.length === 1 ? codes[0]! : 'E_PARTIAL' } : {}), results, ...(replication ? { replication } : {}) };
}

async function promoteOne(ctx: PromotionContext, image: string, stage: string, options: PromoteOptions): Promise<PromoteItem> {
  const item: PromoteItem = { image, stage, outcome: 'failed' };
  try {
    const detail = await planDetail(ctx, image, stage, { digest: options.digest, version: options.version });
    item.plan = detail.plan;
    item.digest = detail.plan.source.digest;
    await run(ctx, detail, item, options.dryRun ?? false, options);
  } catch (err) {
    item.error = errorSummary(err);
    item.outcome = item.error.code === 'E_APPROVAL_PENDING' ? 'pending' : item.error.code === 'E_APPROVAL_REJECTED' ? 'rejected' : 'failed';
  }
  return item;
}

async function run(ctx: PromotionContext, planned: PlanDetail, item: PromoteItem, dryRun: boolean, options: PromoteOptions): Promise<void> {
  let detail = planned;
  const { plan } = detail;
  const stage = findStage(ctx.topology, plan.stage);
  checkPlan(plan);
  if (plan.promoted && plan.action === 'no-op') {
    item.outcome = 'no-op';
    return;
  }
  const approval = plan.approval;
  let hookRecord: (() => Promise<string>) | undefined;
  if (approval.state === 'rejected' && approval.type === 'manual') throw new RegtopoError('E_APPROVAL_REJECTED', `${plan.image}@${plan.source.digest} → ${plan.stage}: ${approval.reason}`);
  if (approval.state !== 'approved' && approval.state !== 'not-required') {
    if (approval.type === 'manual') {
      throw new RegtopoError('E_APPROVAL_PENDING', `${plan.image}@${plan.source.digest} → ${plan.stage}: approval pending (${approval.reason}); run: regtopo approve ${plan.image}@${plan.source.digest} --stage ${plan.stage}${versionFlag(plan)} --key ~/.ssh/id_ed25519`);
    }
    if (dryRun) {
      item.outcome = 'planned';
      return;
    }
    const decision = await askHook(ctx, plan);
    item.hook = decision;
    if (!decision.approved) {
      await recordHookDecision(ctx, detail, decision);
      throw new RegtopoError('E_APPROVAL_REJECTED', `${plan.image}@${plan.source.digest} → ${plan.stage}: ${approval.type} hook rejected: ${decision.output || 'no reason given'}`);
    }
    // What changed while the hook ran is seen: the source tag, gates, evidence, targets. The hook
    // approved *that* plan; anything else stops here, before the first write.
    const again = await planDetail(ctx, plan.image, plan.stage, { digest: options.digest, version: options.version });
    const changed = planChange(plan, again.plan);
    if (changed) {
      item.plan = again.plan;
      item.digest = again.plan.source.digest;
      // A moved source is a different promotion altogether; otherwise say what the new plan lacks.
      if (again.plan.source.digest === plan.source.digest) checkPlan(again.plan);
      throw new RegtopoError('E_CONFLICT', `${plan.image} → ${plan.stage}: ${changed} while the ${approval.type} hook ran; nothing written (the hook approved plan ${plan.planHash}); rerun to decide on the new plan`);
    }
    detail = again;
    hookRecord = () => recordHookDecision(ctx, detail, decision);
  }
  if (dryRun) {
    item.outcome = 'planned';
    return;
  }

  const { sourceRef, targetRef, subject } = detail;
  const digest = subject.digest;
  const authorize = (ref: Reference) => authorizePromotionWrite(ctx.topology, ref);
  authorize(targetRef);
  const hookApproval = hookRecord ? await hookRecord() : undefined;
  const sameRepository = sourceRef.name === targetRef.name;
  const srcRepo = ctx.client.repository(sourceRef, { signal: ctx.signal });
  const dstRepo = ctx.client.repository(targetRef, { signal: ctx.signal });
  if (!sameRepository) {
    // By digest on both sides: the exact approved content, whatever the source tags do meanwhile.
    // Only a registry's limits.concurrency is passed on: it caps the copy's mounts as well as its
    // transfers, where the defaults mount 16 at once.
    const limit = concurrencyLimit(ctx.topology, sourceRef, targetRef);
    await copy({ kind: 'registry', ref: sourceRef.withDigest(digest) }, { kind: 'registry', ref: targetRef.withDigest(digest) }, {
      client: ctx.client, signal: ctx.signal,
      ...(limit !== undefined && { jobs: Math.min(DEFAULT_JOBS, limit) }),
      // Same-image stages and replicas on the target registry usually hold every blob: mount, don't upload.
      mountCandidates: mountCandidates(ctx.topology, targetRef),
      ...progressFor(options.progress, plan.image),
    });
  }
  const raw = await dstRepo.getManifest(digest);
  item.tags = [];
  // Immutable tags first, each through a claim (tag-claim.ts): a promotion that loses one stops
  // before it moves any tag or writes any record.
  const ordered = [...plan.targets].sort((a, b) => Number(stage.movingTags.includes(a.tag)) - Number(stage.movingTags.includes(b.tag)));
  for (const target of ordered) {
    if (!stage.movingTags.includes(target.tag)) {
      const r = await setImmutableTag(dstRepo, target.tag, raw, target.ref, { now: () => nowOf(ctx), skewMs: clockSkewOf(ctx.topology), signal: ctx.signal });
      item.tags.push({ ref: target.ref, action: r.action });
      continue;
    }
    const current = (await dstRepo.headManifest(target.tag))?.digest;
    if (current === digest) {
      item.tags.push({ ref: target.ref, action: 'unchanged' });
      continue;
    }
    await dstRepo.putManifest(target.tag, raw);
    item.tags.push(current ? { ref: target.ref, action: 'moved', previous: current } : { ref: target.ref, action: 'created' });
  }
  item.tags.sort((a, b) => plan.targets.findIndex((t) => t.ref === a.ref) - plan.targets.findIndex((t) => t.ref === b.ref));
  if (!sameRepository) item.records = await syncRecords(ctx.client, sourceRef, targetRef, digest, authorize, ctx.signal);
  // Referrers (issue 14): signatures, SBOMs, attestations of the digest and its children travel too.
  if (!sameRepository && options.referrers !== false) item.referrers = await carryPromotedReferrers(ctx.client, sourceRef, targetRef, digest, authorize, ctx.signal);

  // The promotion record comes last: its presence means the whole edge is done.
  const existing = await listRecords<PromotionBody>(dstRepo, 'promotion', digest);
  const mine = existing.find((r) => r.body.planHash === plan.planHash && r.body.stage === plan.stage);
  if (mine) {
    item.promotionRecord = mine.digest;
  } else {
    const now = nowOf(ctx);
    const approvedBy = hookApproval ? [item.hook!.by] : plan.approval.approvedBy;
    const approvals = hookApproval ? [hookApproval] : plan.approval.records;
    const body: PromotionBody = {
      kind: 'promotion', subject: digest, image: plan.image, stage: plan.stage, from: plan.from, to: plan.to,
      source: plan.source.ref, ...(plan.source.tag ? { sourceTag: plan.source.tag } : {}), targets: plan.targets.map((t) => t.ref),
      planHash: plan.planHash, evidence: plan.evidence, approvals, approvedBy,
      ...(plan.version !== undefined ? { version: plan.version } : {}),
      by: actor(ctx), at: new Date(now).toISOString(),
    };
    const written = await writePromotionRecord(dstRepo, subject, body, now);
    item.promotionRecord = written.digest;
    if (!sameRepository) await writePromotionRecord(srcRepo, subject, body, now);
  }
  item.outcome = item.tags.every((t) => t.action === 'unchanged') && !item.records?.copied && mine ? 'no-op' : 'promoted';
}

/** Refusals that need no approval to decide: tag policy and gates. */
function checkPlan(plan: PromotionPlan): void {
  const refused = plan.targets.find((t) => t.action === 'refused');
  if (refused) throw new RegtopoError('E_CONFLICT', refused.reason ?? `${refused.ref}: refused`);
  if (!plan.gatesPassed) {
    const hints = missingEvidenceHints(plan.gates, plan.source.ref);
    throw new RegtopoError('E_GATE_FAILED', `${plan.image} ${plan.source.ref} → ${plan.stage}: gates not satisfied: ${describeFailedGates(plan.gates)}${hints.length ? `; ${hints.join('; ')}` : ''}`);
  }
}

/** What differs between the plan a hook approved and the plan now, in words; undefined when nothing. */
function planChange(before: PromotionPlan, after: PromotionPlan): string | undefined {
  if (before.source.digest !== after.source.digest) return `the source moved from ${before.source.digest} to ${after.source.digest}`;
  if (before.gatesPassed !== after.gatesPassed) return `the gates no longer pass (${describeFailedGates(after.gates)})`;
  if (before.planHash !== after.planHash) return `the plan changed (evidence or targets: ${before.planHash} → ${after.planHash})`;
  if (before.targets.some((t, i) => t.action !== after.targets[i]?.action)) return 'the target tags changed';
  return undefined;
}

async function askHook(ctx: PromotionContext, plan: PromotionPlan): Promise<HookDecision> {
  const spec = findStage(ctx.topology, plan.stage).approval!;
  const env = ctx.env ?? process.env;
  if (spec.type === 'command') return runCommandHook(spec, plan, env, ctx.signal);
  if (spec.type === 'webhook') return runWebhookHook(spec, plan, env, ctx.signal);
  throw new RegtopoError('E_INTERNAL', 'manual approvals have no hook');
}

/** Records what a hook said, marked as a hook decision (it never counts as a manual approval). */
async function recordHookDecision(ctx: PromotionContext, detail: PlanDetail, decision: HookDecision): Promise<string> {
  const { plan } = detail;
  const spec = findStage(ctx.topology, plan.stage).approval!;
  if (spec.type === 'manual') throw new RegtopoError('E_INTERNAL', 'manual approvals have no hook');
  authorizePromotionWrite(ctx.topology, detail.sourceRef);
  const now = nowOf(ctx);
  const body: ApprovalBody = {
    kind: 'approval', subject: plan.source.digest, image: plan.image, stage: plan.stage, planHash: plan.planHash,
    decision: decision.approved ? 'approved' : 'rejected', by: decision.by, at: new Date(now).toISOString(),
    hook: { type: spec.type, output: decision.output, ...(decision.exitCode !== undefined ? { exitCode: decision.exitCode } : {}), ...(decision.status !== undefined ? { status: decision.status } : {}) },
  };
  const stored = await writeRecord(ctx.client.repository(detail.sourceRef, { signal: ctx.signal }), detail.subject, 'approval', body, { name: plan.stage, value: body.decision, now });
  return stored.digest;
}
