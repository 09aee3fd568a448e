/** The promotion pipeline: statuses, gates, plans, approvals, promote, history and inventory. */
export type { PromotionContext } from './context.js';
export { setStatus, getStatuses, type SetStatusOptions, type SetStatusResult, type StatusesResult, type StatusEntry } from './statuses.js';
export { evaluateGates, type GateResult, type GateEvaluation } from './gates.js';
export { planPromotion, hashPlan, type PromotionPlan, type PlanTarget, type PlanOptions, type EdgeAction } from './plan.js';
export type { ApprovalState, ApprovalBody } from './approval-state.js';
export { approve, reject, listApprovals, parseImageDigest, type DecideOptions, type DecisionResult, type ApprovalsResult, type ApprovalEntry, type PendingApproval } from './approvals.js';
export { runCommandHook, runWebhookHook, type HookDecision } from './hooks.js';
export { promote, type PromoteOptions, type PromoteReport, type PromoteItem } from './promote.js';
export { history, type HistoryEntry } from './history.js';
export { inventory, type InventoryEntry } from './inventory.js';
export { RECORD_ARTIFACT_TYPE, listRecords, type RecordKind, type StoredRecord } from './records.js';
export type { PromotionBody } from './promotion-record.js';
