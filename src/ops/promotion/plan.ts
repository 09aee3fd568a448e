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
import { approvalState, type ApprovalBody, type ApprovalState } from './approval-state.js';
import { findImage, findStage, imageRef, nowOf, resolveDescriptor, type PromotionContext } from './context.js';
import { evaluateGates, type GateResult } from './gates.js';
import type { PromotionBody } from './promotion-record.js';
import { listRecords, tagsOf } from './records.js';
import { statusesOf } from './statuses.js';
import { expandTagTemplates, imageVersion, isMovingTag, needsVersion } from './tag-policy.js';

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
  gates: GateResult[];
  gatesPassed: boolean;
  /** Status record digests the gates rest on, sorted. */
  evidence: string[];
  approval: ApprovalState;
  version?: string;
  planHash: string;
  /** A promotion record for this exact plan already exists in the target. */
  promoted: boolean;
}

export interface PlanOptions {
  /** Promote this digest instead of resolving the stage's source tags. */
  digest?: string;
  /** Value of {version} when the image has no version label (or to override it). */
  version?: string;
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
  const srcRepo = ctx.client.repository(sourceRef);
  const dstRepo = ctx.client.repository(targetRef);

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
  const tags = expandTagTemplates(stage.targetTags, { digest, version, now: nowOf(ctx) });
  const sameRepository = sourceRef.name === targetRef.name;

  const [srcTags, dstTags, currents] = await Promise.all([
    tagsOf(srcRepo),
    tagsOf(dstRepo),
    Promise.all(tags.map(async (t) => (await dstRepo.headManifest(t))?.digest)),
  ]);
  const targets = tags.map((tag, i): PlanTarget => {
    const current = currents[i];
    const moving = isMovingTag(stage, tag);
    const ref = targetRef.withTag(tag).toString();
    if (current === digest) return { ref, tag, current, moving, action: 'no-op' };
    if (current && !moving) {
      return { ref, tag, current, moving, action: 'refused', reason: `immutable tag ${ref} already holds ${current}; refusing to move it to ${digest}` };
    }
    return { ref, tag, ...(current ? { current } : {}), moving, action: sameRepository ? 'retag' : 'copy' };
  });
  const action: EdgeAction = targets.some((t) => t.action === 'refused') ? 'refused'
    : targets.every((t) => t.action === 'no-op') ? 'no-op' : sameRepository ? 'retag' : 'copy';

  const { current } = await statusesOf(srcRepo, digest, srcTags);
  const gates = evaluateGates(stage.gates, current);
  const planHash = hashPlan(digest, targets.map((t) => t.ref), gates.evidence);
  const approvals = stage.approval ? await listRecords<ApprovalBody>(srcRepo, 'approval', digest, srcTags) : [];
  const promotions = await listRecords<PromotionBody>(dstRepo, 'promotion', digest, dstTags);

  const plan: PromotionPlan = {
    image: image.name, stage: stage.name, from: stage.from, to: stage.to,
    source: { ref: sourceRef.withDigest(digest).toString(), ...(sourceTag ? { tag: sourceTag } : {}), digest, mediaType: subject.mediaType, size: subject.size },
    target: targetRef.name, targets, action,
    gates: gates.results, gatesPassed: gates.passed, evidence: gates.evidence,
    approval: approvalState(stage, image.name, planHash, approvals),
    ...(version !== undefined ? { version } : {}),
    planHash,
    promoted: promotions.some((p) => p.body.planHash === planHash && p.body.stage === stage.name),
  };
  return { plan, sourceRef, targetRef, subject };
}

/** sha256 of the canonical JSON of (source digest, sorted target refs, sorted evidence digests). */
export function hashPlan(digest: string, targetRefs: readonly string[], evidence: readonly string[]): string {
  const canonical = JSON.stringify({ digest, evidence: [...evidence].sort(), targets: [...targetRefs].sort() });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
