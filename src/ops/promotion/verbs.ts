/**
 * The promotion verbs as the library exports them: `verb(inputs…, options)`, where `options` names
 * the topology and may add a client, who acts, a clock, an env and a signal. Each builds its context
 * through promotionContext() (context.ts: every default and its reason) and calls the
 * implementation, which takes the resolved PromotionContext: promote.ts, plan.ts, approvals.ts,
 * history.ts, inventory.ts. Options pass through whole, so an option an implementation adds reaches
 * it without a change here. A client made for the call is closed when the call ends.
 */
import { withPromotionContext, type PromotionOptions } from './context.js';
import { approve as approveIn, listApprovals as listApprovalsIn, parseImageDigest, reject as rejectIn, type ApprovalsResult, type DecideOptions, type DecisionResult } from './approvals.js';
import { history as historyIn, type HistoryEntry } from './history.js';
import { inventory as inventoryIn, type InventoryEntry } from './inventory.js';
import { planPromotion, type PlanOptions, type PromotionPlan } from './plan.js';
import { promote as promoteIn, type PromoteOptions, type PromoteReport } from './promote.js';

export type { PromotionOptions } from './context.js';

/** promote(stage, …): which images (default all), and how. */
export interface PromoteVerbOptions extends PromotionOptions, Omit<PromoteOptions, 'stage'> {}

/** plan(image, stage, …): which digest (default: the stage's source tags) and {version}. */
export interface PlanVerbOptions extends PromotionOptions, PlanOptions {}

/** approve / reject (image@digest, stage, …). */
export interface DecisionOptions extends PromotionOptions, Omit<DecideOptions, 'image' | 'digest' | 'stage'> {}

export interface ListApprovalsOptions extends PromotionOptions {
  /** Only what waits for a decision (no decision history). */
  pendingOnly?: boolean;
  /** One promotion image; default every one. */
  image?: string;
}

export interface InventoryOptions extends PromotionOptions {
  /** Promotion image names; default every one. */
  images?: string[];
}

/** Promotes the topology's images (or `options.images`) to `stage`: gates, approval, copy by digest, tags, records. */
export function promote(stage: string, options: PromoteVerbOptions): Promise<PromoteReport> {
  return withPromotionContext(options, (ctx) => promoteIn(ctx, { ...options, stage }));
}

/** What promoting `image` to `stage` would do, with gates and approval state. Writes nothing. */
export function plan(image: string, stage: string, options: PlanVerbOptions): Promise<PromotionPlan> {
  return withPromotionContext(options, (ctx) => planPromotion(ctx, image, stage, options));
}

/** Records an approval of promoting `imageAtDigest` (`app@sha256:…`) to `stage`, bound to the current plan. */
export function approve(imageAtDigest: string, stage: string, options: DecisionOptions): Promise<DecisionResult> {
  return withPromotionContext(options, (ctx) => approveIn(ctx, { ...options, ...parseImageDigest(imageAtDigest), stage }));
}

/** Records a rejection of promoting `imageAtDigest` to `stage`. */
export function reject(imageAtDigest: string, stage: string, options: DecisionOptions): Promise<DecisionResult> {
  return withPromotionContext(options, (ctx) => rejectIn(ctx, { ...options, ...parseImageDigest(imageAtDigest), stage }));
}

/** Every recorded decision, and the promotions waiting for one. */
export function listApprovals(options: ListApprovalsOptions): Promise<ApprovalsResult> {
  return withPromotionContext(options, (ctx) => listApprovalsIn(ctx, options));
}

/** The promotion records of `image`, newest first. */
export function history(image: string, options: PromotionOptions): Promise<HistoryEntry[]> {
  return withPromotionContext(options, (ctx) => historyIn(ctx, image));
}

/** What each place in the pipeline holds now, per image. */
export function inventory(options: InventoryOptions): Promise<InventoryEntry[]> {
  return withPromotionContext(options, (ctx) => inventoryIn(ctx, options));
}
