/**
 * Where an approval stands for one plan. Approvals are bound to the plan hash: a decision recorded
 * for another hash (another digest, other targets, other evidence) does not count.
 *
 * manual: who decided is established by the signature, never by the record's own `by`:
 *   - a record signed (SSHSIG, namespace regtopo-approval) by a key in `keys:` counts as that key's
 *     name, if the stage lists it among its approvers (or lists none);
 *   - an unsigned or wrongly signed record counts only for an approver that has no key (trusted on
 *     its word, which `validate` warns about); a name that has a key never counts unsigned;
 *   - hook decisions never count here.
 *   Each approver's latest decision replaces their earlier ones; distinct keys (or keyless names)
 *   make the quorum; any standing rejection rejects.
 * command / webhook: the hook is asked at promote time, every time; recorded hook decisions are
 *   history, since anyone who can write the source repository could write one.
 */
import type { PromotionStageSpec } from '../../topology/model.js';
import { checkSignature, type TrustedKey } from '../../signing/trusted-keys.js';
import type { StoredRecord } from './records.js';
import { APPROVAL_NAMESPACE, approvalMessage } from './signed-message.js';

export interface ApprovalBody {
  kind: 'approval';
  subject: string;
  image: string;
  stage: string;
  planHash: string;
  decision: 'approved' | 'rejected';
  /** Informational: for signed records the name comes from the verifying key. */
  by: string;
  at: string;
  comment?: string;
  /** The {date} the plan's tag templates were expanded with (YYYYMMDD), fixed by this approval. */
  date?: string;
  /**
   * The {version} the plan's tags were expanded with. A hint only (not signed; the plan hash binds the
   * tags): lets `approvals --pending` find the plan of an image without a version label again.
   */
  version?: string;
  /** SSHSIG over approvalMessage(...) (absent for keyless approvers and hooks). */
  signature?: string;
  /** command / webhook decisions: which hook, and what it said. */
  hook?: { type: 'command' | 'webhook'; output?: string; exitCode?: number; status?: number };
}

export type ApprovalStateName = 'not-required' | 'approved' | 'pending' | 'rejected';

/** A decision that was looked at and does not count, with the reason (shown by plan and approvals). */
export interface IgnoredApproval {
  record: string;
  by: string;
  decision: 'approved' | 'rejected';
  reason: string;
}

export interface ApprovalState {
  required: boolean;
  type?: 'manual' | 'command' | 'webhook';
  state: ApprovalStateName;
  quorum: number;
  approvedBy: string[];
  rejectedBy: string[];
  /** Digests of the approval records this state rests on (the standing decisions). */
  records: string[];
  /** Decisions for this plan that do not count, and why. */
  ignored: IgnoredApproval[];
  reason?: string;
}

interface Counted {
  identity: string;
  name: string;
  record: StoredRecord<ApprovalBody>;
}

export function approvalState(stage: PromotionStageSpec, image: string, planHash: string, records: StoredRecord<ApprovalBody>[], keys: Map<string, TrustedKey> = new Map()): ApprovalState {
  const spec = stage.approval;
  const none = { quorum: 0, approvedBy: [], rejectedBy: [], records: [], ignored: [] };
  if (!spec) return { required: false, state: 'not-required', ...none };
  const mine = records.filter((r) => r.body.kind === 'approval' && r.body.stage === stage.name && r.body.image === image && r.body.planHash === planHash);
  if (spec.type !== 'manual') {
    const last = mine.filter((r) => r.body.hook).at(-1);
    return {
      required: true, type: spec.type, state: 'pending', ...none, quorum: 1,
      reason: `the ${spec.type} hook is asked when promoting${last ? ` (last said ${last.body.decision} at ${last.body.at})` : ''}`,
    };
  }
  const quorum = spec.quorum ?? 1;
  const approvers = spec.approvers?.length ? spec.approvers : undefined;
  const ignored: IgnoredApproval[] = [];
  const counted: Counted[] = [];
  for (const r of mine) {
    const who = countAs(r, approvers, keys);
    if ('reason' in who) ignored.push({ record: r.digest, by: String(r.body.by), decision: r.body.decision, reason: who.reason });
    else counted.push({ ...who, record: r });
  }
  // Latest decision per approver (their own signed `at`, then the write order) replaces earlier ones.
  const standing = new Map<string, Counted>();
  for (const c of counted.sort((a, b) => a.record.body.at.localeCompare(b.record.body.at) || a.record.time - b.record.time)) standing.set(c.identity, c);
  const current = [...standing.values()];
  const approved = current.filter((c) => c.record.body.decision === 'approved');
  const rejected = current.filter((c) => c.record.body.decision === 'rejected');
  const approvedBy = [...new Set(approved.map((c) => c.name))].sort();
  const rejectedBy = [...new Set(rejected.map((c) => c.name))].sort();
  const base = { required: true, type: spec.type, quorum, approvedBy, rejectedBy, records: current.map((c) => c.record.digest), ignored };
  if (rejected.length > 0) {
    const why = rejected.map((c) => `${c.name}${c.record.body.comment ? `: ${c.record.body.comment}` : ''}`);
    return { ...base, state: 'rejected', reason: `rejected by ${why.join('; ')}` };
  }
  // Distinct identities: one key under two names, or the same key twice, is one approval.
  if (new Set(approved.map((c) => c.identity)).size >= quorum) return { ...base, state: 'approved' };
  return { ...base, state: 'pending', reason: `${approved.length} of ${quorum} approvals${approvedBy.length ? ` (approved: ${approvedBy.join(', ')})` : ''}` };
}

/**
 * Who a recorded decision is from, as far as the stage's rules can tell (plan hash aside): the
 * verifying key's name, a keyless approver's name, or why it counts for nobody. For listings.
 */
export function decisionAuthor(stage: PromotionStageSpec, record: StoredRecord<ApprovalBody>, keys: Map<string, TrustedKey>): { name: string; counted: true } | { name: string; counted: false; reason: string } {
  const spec = stage.approval;
  if (spec?.type !== 'manual') return { name: String(record.body.by), counted: false, reason: record.body.hook ? `${record.body.hook.type} hook decision (history)` : 'this stage is approved by its hook' };
  const who = countAs(record, spec.approvers?.length ? spec.approvers : undefined, keys);
  return 'reason' in who ? { name: String(record.body.by), counted: false, reason: who.reason } : { name: who.name, counted: true };
}

/** Whose decision a record is, or why it is nobody's. */
function countAs(r: StoredRecord<ApprovalBody>, approvers: string[] | undefined, keys: Map<string, TrustedKey>): { identity: string; name: string } | { reason: string } {
  const b = r.body;
  if (b.hook) return { reason: `a ${b.hook.type} hook decision never satisfies a manual approval` };
  if (b.decision !== 'approved' && b.decision !== 'rejected') return { reason: 'not a decision' };
  if (b.signature !== undefined) {
    const check = checkSignature(b.signature, APPROVAL_NAMESPACE, approvalMessage(b), keys, approvers);
    const signer = check.signers[0];
    if (signer) return { identity: `key:${signer.fingerprint}`, name: check.signers.map((k) => k.name).sort()[0]! };
    return { reason: check.problem ?? 'signature does not verify' };
  }
  const by = String(b.by);
  if (keys.has(by)) return { reason: `unsigned, but ${by} has a key: only a signature by it counts` };
  if (approvers && !approvers.includes(by)) return { reason: `${by} is not an approver` };
  if (!approvers && keys.size > 0) return { reason: 'unsigned, and this topology declares keys' };
  return { identity: `name:${by}`, name: by };
}
