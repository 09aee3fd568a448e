/**
 * Promotion history of an image: the promotion records found in every repository a stage writes,
 * newest first. The same promotion is recorded in several places (target, source, and onward with
 * the image), so entries are deduplicated by (stage, plan hash, digest).
 */
import { findImage, imageRef, type PromotionContext } from './context.js';
import type { PromotionBody } from './promotion-record.js';
import { listRecords } from './records.js';

export interface HistoryEntry {
  image: string;
  stage: string;
  digest: string;
  from: string;
  to: string;
  source: string;
  targets: string[];
  version?: string;
  by: string;
  at: string;
  approvedBy: string[];
  evidence: string[];
  planHash: string;
  /** Digest of the promotion record. */
  record: string;
}

export async function history(ctx: PromotionContext, imageName: string): Promise<HistoryEntry[]> {
  const image = findImage(ctx.topology, imageName);
  const registries = [...new Set(ctx.topology.promotion.stages.flatMap((s) => [s.to, s.from]))];
  const seen = new Map<string, HistoryEntry>();
  const lists = await Promise.all(registries.map((name) => listRecords<PromotionBody>(ctx.client.repository(imageRef(ctx.topology, name, image), { signal: ctx.signal }), 'promotion', undefined, undefined, { onInvalid: ctx.onInvalidRecord })));
  for (const r of lists.flat()) {
    const b = r.body;
    if (b.kind !== 'promotion' || b.image !== image.name) continue;
    const key = `${b.stage} ${b.planHash} ${r.subject}`;
    const prior = seen.get(key);
    if (prior && prior.at <= b.at) continue;
    seen.set(key, {
      image: b.image, stage: b.stage, digest: r.subject, from: b.from, to: b.to, source: b.source, targets: b.targets,
      ...(b.version !== undefined ? { version: b.version } : {}), by: b.by, at: b.at, approvedBy: b.approvedBy ?? [],
      evidence: b.evidence ?? [], planHash: b.planHash, record: r.digest,
    });
  }
  return [...seen.values()].sort((a, b) => b.at.localeCompare(a.at) || a.stage.localeCompare(b.stage));
}
