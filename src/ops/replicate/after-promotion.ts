/**
 * promote → replicate: after a promotion into a prod that has replicas, the promoted images'
 * repositories are converged on every replica. The promotion is the decision and stands whatever
 * happens here; a replica that did not converge makes the result E_REPLICATION_INCOMPLETE, which
 * the CLI turns into exit 15 ("rerun regtopo replicate").
 */
import { errorSummary, type ErrorCode } from '../../errors.js';
import type { PromotionContext } from '../promotion/context.js';
import type { ImageProgress } from '../image-progress.js';
import { replicate } from './replicate.js';
import type { ReplicateReport } from './report.js';

export interface PromotionReplication {
  ok: boolean;
  /** E_REPLICATION_INCOMPLETE when any replica did not converge. */
  errorCode?: ErrorCode;
  message?: string;
  report?: ReplicateReport;
}

export async function replicateAfterPromotion(
  ctx: PromotionContext, target: string, images: string[], options: { signal?: AbortSignal; progress?: ImageProgress; referrers?: boolean } = {},
): Promise<PromotionReplication | undefined> {
  const prod = ctx.topology.registries[target];
  if (!prod || prod.role !== 'prod' || prod.replicas.length === 0 || images.length === 0) return undefined;
  const incomplete = (message: string, report?: ReplicateReport): PromotionReplication => ({
    ok: false, errorCode: 'E_REPLICATION_INCOMPLETE', message: `promoted, replication incomplete: ${message}; rerun regtopo replicate`, ...(report ? { report } : {}),
  });
  // The promotion's own signal unless the caller names another: Ctrl-C stops replication too.
  const signal = options.signal ?? ctx.signal;
  try {
    const report = await replicate({
      topology: ctx.topology, client: ctx.client, prod: prod.name, images: [...new Set(images)], signal,
      ...(options.progress && { progress: options.progress }), ...(options.referrers === false && { referrers: false }),
    });
    if (report.ok) return { ok: true, report };
    const failed = report.replicas.filter((r) => r.tags.some((t) => t.action === 'failed')).map((r) => r.name);
    return incomplete(`${failed.join(', ')} did not converge`, report);
  } catch (err) {
    if (signal?.aborted) throw err;
    const { code, message } = errorSummary(err);
    return incomplete(`[${code}] ${message}`);
  }
}
