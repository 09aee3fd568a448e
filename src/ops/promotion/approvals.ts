/**
 * Manual approvals and the approval listing. `approve` / `reject` plan the promotion of one exact
 * digest and record the decision bound to that plan's hash, next to the image in the stage's
 * source repository. `listApprovals` shows every decision and what waits for one.
 */
import { RegtopoError } from '../../errors.js';
import { assertDigest } from '../../ref/digest.js';
import type { ApprovalBody, ApprovalState } from './approval-state.js';
import { actor, authorizePromotionWrite, findStage, imageRef, nowOf, type PromotionContext } from './context.js';
import { describeFailedGates } from './gates.js';
import { planDetail, type PromotionPlan } from './plan.js';
import { listRecords, writeRecord } from './records.js';

export interface DecideOptions {
  image: string;
  digest: string;
  stage: string;
  comment?: string;
  /** {version} for plans whose image has no version label. */
  version?: string;
}

export interface DecisionResult {
  decision: 'approved' | 'rejected';
  record: string;
  plan: PromotionPlan;
  /** The approval state after this decision. */
  state: ApprovalState;
}

/** Splits `IMAGE@DIGEST` as typed on the command line. */
export function parseImageDigest(input: string): { image: string; digest: string } {
  const at = input.indexOf('@');
  if (at <= 0) throw new RegtopoError('E_USAGE', `expected IMAGE@DIGEST (e.g. app@sha256:…), got "${input}"`);
  return { image: input.slice(0, at), digest: assertDigest(input.slice(at + 1), `digest in "${input}"`) };
}

export function approve(ctx: PromotionContext, options: DecideOptions): Promise<DecisionResult> {
  return decide(ctx, options, 'approved');
}

export function reject(ctx: PromotionContext, options: DecideOptions): Promise<DecisionResult> {
  return decide(ctx, options, 'rejected');
}

async function decide(ctx: PromotionContext, options: DecideOptions, decision: 'approved' | 'rejected'): Promise<DecisionResult> {
  const stage = findStage(ctx.topology, options.stage);
  if (!stage.approval) throw new RegtopoError('E_USAGE', `stage "${stage.name}" needs no approval`);
  const by = actor(ctx);
  if (stage.approval.type === 'manual' && stage.approval.approvers?.length && !stage.approval.approvers.includes(by)) {
    throw new RegtopoError('E_POLICY', `${by} is not an approver of stage "${stage.name}" (approvers: ${stage.approval.approvers.join(', ')})`);
  }
  const detail = await planDetail(ctx, options.image, stage.name, { digest: options.digest, version: options.version });
  const { plan } = detail;
  // An approval binds gate evidence; before the gates pass there is nothing meaningful to approve.
  if (decision === 'approved' && !plan.gatesPassed) {
    throw new RegtopoError('E_GATE_FAILED', `cannot approve ${plan.source.ref} for ${stage.name}: gates not satisfied (${describeFailedGates(plan.gates)})`);
  }
  authorizePromotionWrite(ctx.topology, detail.sourceRef);
  const now = nowOf(ctx);
  const body: ApprovalBody = {
    kind: 'approval', subject: plan.source.digest, image: plan.image, stage: plan.stage, planHash: plan.planHash,
    decision, by, at: new Date(now).toISOString(), ...(options.comment ? { comment: options.comment } : {}),
  };
  const stored = await writeRecord(ctx.client.repository(detail.sourceRef), detail.subject, 'approval', body, { name: stage.name, value: decision, now });
  const after = await planDetail(ctx, options.image, stage.name, { digest: plan.source.digest, version: plan.version });
  return { decision, record: stored.digest, plan: after.plan, state: after.plan.approval };
}

export interface ApprovalEntry {
  image: string;
  stage: string;
  digest: string;
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  comment?: string;
  planHash: string;
  hook?: ApprovalBody['hook'];
  record: string;
}

export interface PendingApproval {
  image: string;
  stage: string;
  digest: string;
  source: string;
  planHash: string;
  targets: string[];
  quorum: number;
  approvedBy: string[];
  /** The command that approves it. */
  approveWith: string;
}

export interface ApprovalsResult {
  pending: PendingApproval[];
  /** Every recorded decision (omitted with pendingOnly), newest first. */
  decisions: ApprovalEntry[];
}

export async function listApprovals(ctx: PromotionContext, options: { pendingOnly?: boolean; image?: string } = {}): Promise<ApprovalsResult> {
  const result: ApprovalsResult = { pending: [], decisions: [] };
  const images = ctx.topology.promotion.images.filter((i) => !options.image || i.name === options.image);
  for (const image of images) {
    for (const stage of ctx.topology.promotion.stages.filter((s) => s.approval)) {
      if (!options.pendingOnly) {
        const repo = ctx.client.repository(imageRef(ctx.topology, stage.from, image));
        for (const r of await listRecords<ApprovalBody>(repo, 'approval')) {
          if (r.body.stage !== stage.name || r.body.image !== image.name) continue;
          const b = r.body;
          result.decisions.push({
            image: b.image, stage: b.stage, digest: r.subject, decision: b.decision, by: b.by, at: b.at,
            ...(b.comment ? { comment: b.comment } : {}), planHash: b.planHash, ...(b.hook ? { hook: b.hook } : {}), record: r.digest,
          });
        }
      }
      let plan: PromotionPlan;
      try {
        plan = (await planDetail(ctx, image.name, stage.name)).plan;
      } catch (err) {
        // Nothing to promote yet (no source tag), or a template that needs --version: nothing waits.
        if (err instanceof RegtopoError && (err.code === 'E_NOT_FOUND' || err.code === 'E_USAGE')) continue;
        throw err;
      }
      if (plan.gatesPassed && plan.approval.state === 'pending' && plan.action !== 'refused' && !plan.promoted) {
        result.pending.push({
          image: plan.image, stage: plan.stage, digest: plan.source.digest, source: plan.source.ref, planHash: plan.planHash,
          targets: plan.targets.map((t) => t.ref), quorum: plan.approval.quorum, approvedBy: plan.approval.approvedBy,
          approveWith: `regtopo approve ${plan.image}@${plan.source.digest} --stage ${plan.stage} --by NAME`,
        });
      }
    }
  }
  result.decisions.sort((a, b) => b.at.localeCompare(a.at));
  return result;
}
