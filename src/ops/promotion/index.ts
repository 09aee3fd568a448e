/**
 * The promotion pipeline: statuses, gates, plans, approvals, promote, history and inventory,
 * following the record design in records.ts (OCI artifacts with `subject`, image-spec
 * manifest.md / distribution-spec referrers) and SSHSIG (OpenSSH PROTOCOL.sshsig) for signatures.
 * The verbs exported here are the public shape (verbs.ts: inputs, then options with the topology);
 * the implementations in promote.ts, plan.ts, approvals.ts, history.ts and inventory.ts take a
 * resolved PromotionContext (context.ts) and are imported from their modules by the CLI and tests.
 */
export type { PromotionContext, PromotionOptions } from './context.js';
export { setStatus, getStatuses, type SetStatusOptions, type GetStatusesOptions, type SetStatusResult, type StatusesResult, type StatusEntry } from './statuses.js';
export { promote, plan, approve, reject, listApprovals, history, inventory, type PromoteVerbOptions, type PlanVerbOptions, type DecisionOptions, type ListApprovalsOptions, type InventoryOptions } from './verbs.js';
export { evaluateGates, type GateResult, type GateEvaluation } from './gates.js';
export { hashPlan, type PromotionPlan, type PlanTarget, type PlanOptions, type EdgeAction } from './plan.js';
export type { ApprovalState, ApprovalBody } from './approval-state.js';
export { parseImageDigest, type DecideOptions, type DecisionResult, type ApprovalsResult, type ApprovalEntry, type PendingApproval } from './approvals.js';
export { runCommandHook, runWebhookHook, type HookDecision } from './hooks.js';
export type { PromoteOptions, PromoteReport, PromoteItem } from './promote.js';
export type { HistoryEntry } from './history.js';
export type { InventoryEntry } from './inventory.js';
export { RECORD_ARTIFACT_TYPE, listRecords, type RecordKind, type StoredRecord } from './records.js';
export type { PromotionBody } from './promotion-record.js';
