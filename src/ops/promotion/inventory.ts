/**
 * Inventory: for each image, what each place in the pipeline holds now. The source registry's
 * build tag, then per stage the digest its target tags name, which of those tags point there, the
 * statuses and approvals recorded with it, and when it was promoted.
 */
import type { PromotedImageSpec, PromotionStageSpec } from '../../topology/model.js';
import { decisionAuthor, type ApprovalBody } from './approval-state.js';
import { clockSkewOf, imageRef, nowOf, trustedKeys, type PromotionContext } from './context.js';
import { history, type HistoryEntry } from './history.js';
import { listRecords, tagsOf } from './records.js';
import { currentStatusesOf, statusesOf } from './statuses.js';
import { replicaState, type ReplicaState } from '../replicate/replica-state.js';

export interface InventoryEntry {
  image: string;
  /** The stage whose target this is, or "source" for where builds land. */
  stage: string;
  registry: string;
  repository: string;
  digest?: string;
  tags: string[];
  statuses: Array<{ name: string; value: string; by: string; at: string }>;
  /** `by` is the verified name when `counted`; otherwise what the record claims. */
  approvals: Array<{ stage: string; decision: string; by: string; at: string; counted: boolean }>;
  promotedAt?: string;
  promotedBy?: string;
  /** Stages into a prod with replicas: what each replica holds for the same tags (issue 11). */
  replicas?: ReplicaState[];
}

export async function inventory(ctx: PromotionContext, options: { images?: string[] } = {}): Promise<InventoryEntry[]> {
  const images = ctx.topology.promotion.images.filter((i) => !options.images?.length || options.images.includes(i.name));
  const out: InventoryEntry[] = [];
  for (const image of images) {
    const past = await history(ctx, image.name);
    const first = ctx.topology.promotion.stages[0];
    const sourceTags = first ? first.tags : ['latest'];
    out.push(await entryFor(ctx, image, 'source', image.source, sourceTags, past));
    for (const stage of ctx.topology.promotion.stages) out.push(await entryFor(ctx, image, stage.name, stage.to, stageTags(stage, past, image), past));
  }
  return out;
}

/** Plain target tags of the stage, plus the tags its newest promotion actually set. */
function stageTags(stage: PromotionStageSpec, past: HistoryEntry[], image: PromotedImageSpec): string[] {
  const plain = stage.targetTags.filter((t) => !t.includes('{'));
  const last = past.find((h) => h.stage === stage.name && h.image === image.name);
  const set = last ? last.targets.map((r) => r.slice(r.lastIndexOf(':') + 1)) : [];
  return [...new Set([...plain, ...set])];
}

async function entryFor(ctx: PromotionContext, image: PromotedImageSpec, stage: string, registry: string, tags: string[], past: HistoryEntry[]): Promise<InventoryEntry> {
  const ref = imageRef(ctx.topology, registry, image);
  const repo = ctx.client.repository(ref, { signal: ctx.signal });
  const entry: InventoryEntry = { image: image.name, stage, registry, repository: ref.name, tags: [], statuses: [], approvals: [] };
  const heads = await Promise.all(tags.map(async (t) => ({ tag: t, digest: (await repo.headManifest(t).catch(() => undefined))?.digest })));
  const found = heads.find((h) => h.digest);
  if (!found) return entry;
  entry.digest = found.digest;
  entry.tags = heads.filter((h) => h.digest === found.digest).map((h) => h.tag);
  const repoTags = await tagsOf(repo);
  const keys = trustedKeys(ctx.topology);
  const { history: statusHistory } = await statusesOf(repo, found.digest!, repoTags, keys, ctx.onInvalidRecord);
  const current = currentStatusesOf(statusHistory, nowOf(ctx), clockSkewOf(ctx.topology));
  entry.statuses = current.map((s) => ({ name: s.name, value: s.value, by: s.signedBy?.join('/') ?? s.by, at: s.at }));
  const approvals = await listRecords<ApprovalBody>(repo, 'approval', found.digest, repoTags, { onInvalid: ctx.onInvalidRecord });
  const stages = new Map(ctx.topology.promotion.stages.map((st) => [st.name, st]));
  entry.approvals = approvals.map((a) => {
    const st = stages.get(a.body.stage);
    const author = st ? decisionAuthor(st, a, keys) : { name: String(a.body.by), counted: false as const, reason: 'unknown stage' };
    return { stage: a.body.stage, decision: a.body.decision, by: author.name, at: a.body.at, counted: author.counted };
  });
  const replicas = await replicaState(ctx.topology, ctx.client, registry, ref.repository, entry.tags, found.digest);
  if (replicas.length) entry.replicas = replicas;
  const promoted = past.find((h) => h.stage === stage && h.digest === found.digest);
  if (promoted) {
    entry.promotedAt = promoted.at;
    entry.promotedBy = promoted.by;
  }
  return entry;
}
