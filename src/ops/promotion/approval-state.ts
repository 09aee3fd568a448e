/**
 * Where an approval stands for one plan. Approvals are bound to the plan hash: a decision recorded
 * for another hash (another digest, other targets, other evidence) does not count.
 * manual: approved once `quorum` distinct allowed approvers said yes; any rejection rejects.
 * command / webhook: the newest decision for this plan; none yet means the hook will be asked.
 */
import type { PromotionStageSpec } from '../../topology/model.js';
import type { StoredRecord } from './records.js';

export interface ApprovalBody {
  kind: 'approval';
  subject: string;
  image: string;
  stage: string;
  planHash: string;
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  comment?: string;
  /** command / webhook decisions: which hook, and what it said. */
  hook?: { type: 'command' | 'webhook'; output?: string; exitCode?: number; status?: number };
}

export type ApprovalStateName = 'not-required' | 'approved' | 'pending' | 'rejected';

export interface ApprovalState {
  required: boolean;
  type?: 'manual' | 'command' | 'webhook';
  state: ApprovalStateName;
  quorum: number;
  approvedBy: string[];
  rejectedBy: string[];
  /** Digests of the approval records this state rests on. */
  records: string[];
  reason?: string;
}

export function approvalState(stage: PromotionStageSpec, image: string, planHash: string, records: StoredRecord<ApprovalBody>[]): ApprovalState {
  const spec = stage.approval;
  if (!spec) return { required: false, state: 'not-required', quorum: 0, approvedBy: [], rejectedBy: [], records: [] };
  const allowed = spec.type === 'manual' && spec.approvers?.length ? new Set(spec.approvers) : undefined;
  const mine = records.filter((r) => r.body.kind === 'approval' && r.body.stage === stage.name && r.body.image === image && r.body.planHash === planHash
    && (!allowed || r.body.hook !== undefined || allowed.has(r.body.by)));
  const quorum = spec.type === 'manual' ? spec.quorum ?? 1 : 1;
  const approvedBy = [...new Set(mine.filter((r) => r.body.decision === 'approved').map((r) => r.body.by))].sort();
  const rejectedBy = [...new Set(mine.filter((r) => r.body.decision === 'rejected').map((r) => r.body.by))].sort();
  const base = { required: true, type: spec.type, quorum, approvedBy, rejectedBy, records: mine.map((r) => r.digest) };
  if (spec.type === 'manual') {
    if (rejectedBy.length > 0) {
      const why = mine.filter((r) => r.body.decision === 'rejected').map((r) => `${r.body.by}${r.body.comment ? `: ${r.body.comment}` : ''}`);
      return { ...base, state: 'rejected', reason: `rejected by ${why.join('; ')}` };
    }
    if (approvedBy.length >= quorum) return { ...base, state: 'approved' };
    return { ...base, state: 'pending', reason: `${approvedBy.length} of ${quorum} approvals` };
  }
  const latest = mine.at(-1);
  if (!latest) return { ...base, state: 'pending', reason: `the ${spec.type} hook has not decided yet` };
  if (latest.body.decision === 'approved') return { ...base, state: 'approved' };
  return { ...base, state: 'rejected', reason: `${spec.type} hook rejected: ${latest.body.hook?.output?.trim() || latest.body.comment || 'no reason given'}` };
}
