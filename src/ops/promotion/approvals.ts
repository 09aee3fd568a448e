/**
 * Manual approvals and the approval listing. `approve` / `reject` plan the promotion of one exact
 * digest and record the decision bound to that plan's hash, next to the image in the stage's
 * source repository. `listApprovals` shows every decision and what waits for one.
 */
import { RegtopoError } from '../../errors.js';
import { assertDigest } from '../../ref/digest.js';
import { decisionAuthor, type ApprovalBody, type ApprovalState } from './approval-state.js';
import { actor, authorizePromotionWrite, findImage, findStage, imageRef, nowOf, trustedKeys, type PromotionContext } from './context.js';
import { signWithSshKeygen } from '../../signing/ssh-keygen-signer.js';
import { checkSignature } from '../../signing/trusted-keys.js';
import { APPROVAL_NAMESPACE, approvalMessage } from './signed-message.js';
import { describeFailedGates } from './gates.js';
import { planDetail, versionFlag, type PromotionPlan } from './plan.js';
import { listRecords, writeRecord } from './records.js';

export interface DecideOptions {
  image: string;
  digest: string;
  stage: string;
  comment?: string;
  /** {version} for plans whose image has no version label. */
  version?: string;
  /**
   * Sign the decision with this SSH key (a private key file, or a .pub file whose private half is in
   * the agent at SSH_AUTH_SOCK). The approver is the topology key that verifies the signature.
   */
  keyFile?: string;
}

export interface DecisionResult {
  decision: 'approved' | 'rejected';
  /** Who decided: the key name that verifies the signature, or the keyless approver's name. */
  by: string;
  signed: boolean;
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
  if (stage.approval.type !== 'manual') throw new RegtopoError('E_USAGE', `stage "${stage.name}" is approved by its ${stage.approval.type} hook, not by hand`);
  const approvers = stage.approval.approvers?.length ? stage.approval.approvers : undefined;
  const keys = trustedKeys(ctx.topology);
  if (!options.keyFile) {
    // Unsigned decisions count only for approvers without a key: refuse before anything is written.
    const by = actor(ctx);
    const keyed = (approvers ?? [...keys.keys()]).filter((a) => keys.has(a));
    const hint = keyed.length ? `; ${keyed.join(', ')} sign with --key (e.g. --key ~/.ssh/id_ed25519)` : '';
    if (keys.has(by) || (!approvers && keys.size > 0)) {
      throw new RegtopoError('E_USAGE', `stage "${stage.name}" takes signed decisions${keyed.length ? ` from ${keyed.join(', ')}` : ''}: pass --key with your SSH key (e.g. --key ~/.ssh/id_ed25519); an unsigned decision in the name "${by}" would not count`);
    }
    if (approvers && !approvers.includes(by)) {
      throw new RegtopoError('E_POLICY', `${by} is not an approver of stage "${stage.name}" (approvers: ${approvers.join(', ')})${hint}`);
    }
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
    decision, by: actor(ctx), at: new Date(now).toISOString(), ...(options.comment ? { comment: options.comment } : {}),
    ...(plan.date ? { date: plan.date } : {}),
    ...(plan.version !== undefined ? { version: plan.version } : {}),
  };
  let by = body.by;
  if (options.keyFile) {
    const signed = await signWithSshKeygen(approvalMessage(body), { keyFile: options.keyFile, namespace: APPROVAL_NAMESPACE, env: ctx.env, signal: ctx.signal });
    const check = checkSignature(signed.signature, APPROVAL_NAMESPACE, approvalMessage(body), keys, approvers);
    const signer = check.signers[0];
    if (!signer) {
      const listed = approvers ? `the approvers of stage "${stage.name}" (${approvers.join(', ')})` : 'a key in the topology';
      throw new RegtopoError('E_POLICY', `key ${signed.publicKey.fingerprint} (${options.keyFile}) is not the key of ${listed}; nothing recorded`);
    }
    by = signer.name;
    body.by = by;
    body.signature = signed.signature;
  }
  const stored = await writeRecord(ctx.client.repository(detail.sourceRef, { signal: ctx.signal }), detail.subject, 'approval', body, { name: stage.name, value: decision, now });
  const after = await planDetail(ctx, options.image, stage.name, { digest: plan.source.digest, version: plan.version });
  return { decision, by, signed: body.signature !== undefined, record: stored.digest, plan: after.plan, state: after.plan.approval };
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
  /** Whether it can count: signed by a listed key, or from a keyless approver. `by` is then the verified name. */
  counted: boolean;
  /** Why it cannot count (unsigned for a keyed name, unlisted key, hook decision, …). */
  notCounted?: string;
  signed: boolean;
}

export interface PendingApproval {
  image: string;
  stage: string;
  digest: string;
  source: string;
  planHash: string;
  /** Target references; with needsVersion they still read `{version}` where the version goes. */
  targets: string[];
  /** The {version} the targets would use: the image's version label (absent when the stage uses none). */
  version?: string;
  /**
   * The stage's tags need {version} and the image has no version label: approving (and promoting)
   * takes `--version V`, which also fixes the plan hash the approval binds to.
   */
  needsVersion: boolean;
  quorum: number;
  approvedBy: string[];
  /** The command that approves it (with `--version <VERSION>` to fill in when needsVersion). */
  approveWith: string;
}

export interface ApprovalsResult {
  pending: PendingApproval[];
  /** Every recorded decision (omitted with pendingOnly), newest first. */
  decisions: ApprovalEntry[];
}

/**
 * A plan that needs a version, replanned with the versions its approvals were given with (newest
 * first): the first that some decision counts or is ignored for is the plan those approvers chose.
 */
async function withRecordedVersion(ctx: PromotionContext, plan: PromotionPlan): Promise<PromotionPlan> {
  const repo = ctx.client.repository(imageRef(ctx.topology, plan.from, findImage(ctx.topology, plan.image)), { signal: ctx.signal });
  const records = await listRecords<ApprovalBody>(repo, 'approval', plan.source.digest);
  const versions = [...new Set(records.filter((r) => r.body.stage === plan.stage && typeof r.body.version === 'string').reverse().map((r) => r.body.version!))];
  for (const version of versions) {
    let again: PromotionPlan;
    try {
      again = (await planDetail(ctx, plan.image, plan.stage, { digest: plan.source.digest, version })).plan;
    } catch (err) {
      if (err instanceof RegtopoError && (err.code === 'E_REF_INVALID' || err.code === 'E_USAGE')) continue;
      throw err;
    }
    const a = again.approval;
    if (a.approvedBy.length + a.rejectedBy.length + a.ignored.length > 0) return again;
  }
  return plan;
}

export async function listApprovals(ctx: PromotionContext, options: { pendingOnly?: boolean; image?: string } = {}): Promise<ApprovalsResult> {
  const result: ApprovalsResult = { pending: [], decisions: [] };
  const images = ctx.topology.promotion.images.filter((i) => !options.image || i.name === options.image);
  const keys = trustedKeys(ctx.topology);
  for (const image of images) {
    for (const stage of ctx.topology.promotion.stages.filter((s) => s.approval)) {
      if (!options.pendingOnly) {
        const repo = ctx.client.repository(imageRef(ctx.topology, stage.from, image), { signal: ctx.signal });
        for (const r of await listRecords<ApprovalBody>(repo, 'approval')) {
          if (r.body.stage !== stage.name || r.body.image !== image.name) continue;
          const b = r.body;
          const author = decisionAuthor(stage, r, keys);
          result.decisions.push({
            image: b.image, stage: b.stage, digest: r.subject, decision: b.decision, by: author.name, at: b.at,
            ...(b.comment ? { comment: b.comment } : {}), planHash: b.planHash, ...(b.hook ? { hook: b.hook } : {}), record: r.digest,
            counted: author.counted, ...(author.counted ? {} : { notCounted: author.reason }), signed: typeof b.signature === 'string',
          });
        }
      }
      let plan: PromotionPlan;
      try {
        // A plan that needs a version the image does not carry is listed too, its targets unexpanded.
        plan = (await planDetail(ctx, image.name, stage.name, { unexpandedVersion: true })).plan;
        if (plan.needsVersion) plan = await withRecordedVersion(ctx, plan);
      } catch (err) {
        // Nothing to promote yet (no source tag), or a target tag that cannot be made: nothing waits.
        if (err instanceof RegtopoError && (err.code === 'E_NOT_FOUND' || err.code === 'E_USAGE')) continue;
        throw err;
      }
      if (plan.gatesPassed && plan.approval.state === 'pending' && plan.action !== 'refused' && !plan.promoted) {
        result.pending.push({
          image: plan.image, stage: plan.stage, digest: plan.source.digest, source: plan.source.ref, planHash: plan.planHash,
          targets: plan.targets.map((t) => t.ref), ...(plan.version !== undefined ? { version: plan.version } : {}), needsVersion: plan.needsVersion === true,
          quorum: plan.approval.quorum, approvedBy: plan.approval.approvedBy,
          approveWith: `regtopo approve ${plan.image}@${plan.source.digest} --stage ${plan.stage}${versionFlag(plan)} --key ~/.ssh/id_ed25519`,
        });
      }
    }
  }
  result.decisions.sort((a, b) => b.at.localeCompare(a.at));
  return result;
}
