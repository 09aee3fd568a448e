/**
 * Planning one edge (image × stage) without writing anything: resolve the source to a digest once,
 * expand the target tags, see what each target tag holds now, evaluate the gates on that digest and
 * find where the approval stands. The plan hash binds approvals to exactly this plan.
 */
import { createHash } from 'node:crypto';
import { RegtopoError } from '../../errors.js';
import { assertDigest } from '../../ref/digest.js';
import type { Reference } from '../../ref/reference.js';
import type { Descriptor } from '../../registry/descriptor.js';
import type { PromotionStageSpec } from '../../topology/model.js';
import { approvalState, type ApprovalBody, type ApprovalState } from './approval-state.js';
import { clockSkewOf, findImage, findStage, imageRef, nowOf, resolveDescriptor, trustedKeys, type PromotionContext } from './context.js';
import { evaluateGates, type GateResult } from './gates.js';
import { checkSignatureGates } from './signature-gates.js';
import type { PromotionBody } from './promotion-record.js';
import { listRecords, tagsOf } from './records.js';
import { statusesOf } from './statuses.js';
import { expandTagTemplates, imageVersion, isMovingTag, isUnexpanded, needsVersion } from './tag-policy.js';

export type EdgeAction = 'copy' | 'retag' | 'no-op' | 'refused';

export interface PlanTarget {
  /** host/repo:tag */
  ref: string;
  tag: string;
  /** Digest the tag holds now, if it exists. */
  current?: string;
  moving: boolean;
  action: EdgeAction;
  reason?: string;
}

export interface PromotionPlan {
  image: string;
  stage: string;
  /** Registry names. */
  from: string;
  to: string;
  source: { ref: string; tag?: string; digest: string; mediaType: string; size: number };
  /** host/repo of the target. */
  target: string;
  targets: PlanTarget[];
  action: EdgeAction;
  /** Status gates, then signature gates. */
  gates: GateResult[];
  gatesPassed: boolean;
  /** Digests the gates rest on (status records, signature artifacts), sorted. */
  evidence: string[];
  approval: ApprovalState;
  version?: string;
  /**
   * The targets still hold `{version}` (the image has no version label and none was given): a plan
   * to look at, never to approve or promote (planned only with `unexpandedVersion`; see approvals --pending).
   */
  needsVersion?: true;
  /** The {date} the target tags were expanded with (UTC YYYYMMDD), when a template uses it. */
  date?: string;
  /** Records ignored while evaluating the gates (malformed, future-dated, unsigned for signedBy, unreadable signatures). */
  warnings?: string[];
  planHash: string;
  /** A promotion record for this exact plan already exists in the target. */
  promoted: boolean;
}

export interface PlanOptions {
  /** Promote this digest instead of resolving the stage's source tags. */
  digest?: string;
  /** Value of {version} when the image has no version label (or to override it). */
  version?: string;
  /** Without a version, plan anyway with `{version}` left in the target tags (plan.needsVersion). */
  unexpandedVersion?: boolean;
}

/** Internal extras promote needs alongside the plan. */
export interface PlanDetail {
  plan: PromotionPlan;
  sourceRef: Reference;
  targetRef: Reference;
  subject: Descriptor;
}

export async function planPromotion(ctx: PromotionContext, image: string, stage: string, options: PlanOptions = {}): Promise<PromotionPlan> {
  return (await planDetail(ctx, image, stage, options)).plan;
}

export async function planDetail(ctx: PromotionContext, imageName: string, stageName: string, options: PlanOptions = {}): Promise<PlanDetail> {
  const image = findImage(ctx.topology, imageName);
  const stage = findStage(ctx.topology, stageName);
  const sourceRef = imageRef(ctx.topology, stage.from, image);
  const targetRef = imageRef(ctx.topology, stage.to, image);
  const srcRepo = ctx.client.repository(sourceRef, { signal: ctx.signal });
  const dstRepo = ctx.client.repository(targetRef, { signal: ctx.signal });

  // The one resolution of this promotion: everything below is about this digest.
  let subject: Descriptor | undefined;
  let sourceTag: string | undefined;
  if (options.digest) {
    subject = await resolveDescriptor(srcRepo, assertDigest(options.digest, '--digest'));
  } else {
    for (const t of stage.tags) {
      const head = await srcRepo.headManifest(t);
      if (head) {
        subject = { mediaType: head.mediaType, digest: head.digest, size: head.size };
        sourceTag = t;
        break;
      }
    }
    if (!subject) throw new RegtopoError('E_NOT_FOUND', `${sourceRef.name}: none of the stage "${stage.name}" source tags (${stage.tags.join(', ')}) exists`);
  }
  const digest = subject.digest;

  const version = options.version ?? (needsVersion(stage.targetTags) ? await imageVersion(srcRepo, digest) : undefined);
  const sameRepository = sourceRef.name === targetRef.name;
  const [srcTags, dstTags] = await Promise.all([tagsOf(srcRepo), tagsOf(dstRepo)]);
  const keys = trustedKeys(ctx.topology);
  const now = nowOf(ctx);
  const { history, warnings: recordWarnings } = await statusesOf(srcRepo, digest, srcTags, keys);
  const statusGates = evaluateGates(stage.gates, history, { now, skewMs: clockSkewOf(ctx.topology) });
  const signatureGates = await checkSignatureGates(srcRepo, digest, srcTags, stage.signatureGates ?? [], keys);
  const gates = {
    results: [...statusGates.results, ...signatureGates.results] as GateResult[],
    passed: statusGates.passed && signatureGates.passed,
    evidence: [...statusGates.evidence, ...signatureGates.evidence].sort(),
    warnings: [...statusGates.warnings, ...signatureGates.warnings],
  };
  // Malformed status records were left out of the gates; the plan says so.
  const warnings = [...recordWarnings, ...gates.warnings];
  const approvals = stage.approval ? await listRecords<ApprovalBody>(srcRepo, 'approval', digest, srcTags) : [];

  // {date} is fixed when the plan is approved: a plan approved before midnight keeps that date.
  // Candidates are the dates approvals of this digest and stage were given with, newest first, then
  // today; the first whose plan has a counting decision wins (a forged date has none).
  const today = utcDate(now);
  const usesDate = stage.targetTags.some((t) => t.includes('{date}'));
  const dates = usesDate ? [...new Set([...approvals.filter((a) => a.body.stage === stage.name && typeof a.body.date === 'string').reverse().map((a) => a.body.date!), today])] : [today];
  let chosen: { date: string; targets: PlanTarget[]; planHash: string; approval: ApprovalState } | undefined;
  const unexpanded = options.unexpandedVersion === true && version === undefined && needsVersion(stage.targetTags);
  for (const date of dates) {
    const tags = expandTagTemplates(stage.targetTags, { digest, version, now, date, keepVersion: unexpanded });
    const currents = await Promise.all(tags.map(async (t) => (isUnexpanded(t) ? undefined : (await dstRepo.headManifest(t))?.digest)));
    const targets = tags.map((tag, i) => targetOf(stage, targetRef, tag, currents[i], digest, sameRepository));
    const planHash = hashPlan(digest, targets.map((t) => t.ref), gates.evidence);
    const approval = approvalState(stage, image.name, planHash, approvals, keys);
    chosen = { date, targets, planHash, approval };
    if (date === today || approval.approvedBy.length + approval.rejectedBy.length > 0) break;
  }
  const { targets, planHash, approval } = chosen!;
  const action: EdgeAction = targets.some((t) => t.action === 'refused') ? 'refused'
    : targets.every((t) => t.action === 'no-op') ? 'no-op' : sameRepository ? 'retag' : 'copy';
  const promotions = await listRecords<PromotionBody>(dstRepo, 'promotion', digest, dstTags);

  const plan: PromotionPlan = {
    image: image.name, stage: stage.name, from: stage.from, to: stage.to,
    source: { ref: sourceRef.withDigest(digest).toString(), ...(sourceTag ? { tag: sourceTag } : {}), digest, mediaType: subject.mediaType, size: subject.size },
    target: targetRef.name, targets, action,
    gates: gates.results, gatesPassed: gates.passed, evidence: gates.evidence,
    ...(warnings.length ? { warnings } : {}),
    approval,
    ...(version !== undefined ? { version } : {}),
    ...(unexpanded ? { needsVersion: true as const } : {}),
    ...(usesDate ? { date: chosen!.date } : {}),
    planHash,
    promoted: promotions.some((p) => p.body.planHash === planHash && p.body.stage === stage.name),
  };
  return { plan, sourceRef, targetRef, subject };
}

function targetOf(stage: PromotionStageSpec, targetRef: Reference, tag: string, current: string | undefined, digest: string, sameRepository: boolean): PlanTarget {
  const moving = isMovingTag(stage, tag);
  const ref = isUnexpanded(tag) ? `${targetRef.name}:${tag}` : targetRef.withTag(tag).toString();
  if (current === digest) return { ref, tag, current, moving, action: 'no-op' };
  if (current && !moving) {
    return { ref, tag, current, moving, action: 'refused', reason: `immutable tag ${ref} already holds ${current}; refusing to move it to ${digest} (tags that may move are the stage's movingTags: ${stage.movingTags.join(', ')}; add "${tag}" there only if it is meant to move)` };
  }
  return { ref, tag, ...(current ? { current } : {}), moving, action: sameRepository ? 'retag' : 'copy' };
}

/** UTC YYYYMMDD, the value of {date}. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/**
 * sha256 of the canonical JSON of (source digest, sorted target refs, sorted evidence digests: status
 * records and signature artifacts alike).
 */
export function hashPlan(digest: string, targetRefs: readonly string[], evidence: readonly string[]): string {
  const canonical = JSON.stringify({ digest, evidence: [...evidence].sort(), targets: [...targetRefs].sort() });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** `--version V` for approve hints whose plan expands `{version}`: the approval must name the same plan. */
export function versionFlag(plan: PromotionPlan): string {
  if (plan.needsVersion) return ' --version <VERSION>';
  return plan.version !== undefined ? ` --version ${plan.version}` : '';
}
