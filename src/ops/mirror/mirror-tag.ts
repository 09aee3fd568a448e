/**
 * One (rule, tag) of a mirror run: HEAD the Archive and the upstream tag at once and decide —
 * skipped (same digest, or a subset reduced from it), pinned, frozen, kept-deleted-upstream — and
 * only when the Archive must change: keep its old digest under a history tag, then copy by digest.
 */
import { progressFor, type ImageProgress } from '../image-progress.js';
import { RegtopoError } from '../../errors.js';
import type { Reference } from '../../ref/reference.js';
import type { Descriptor } from '../../registry/descriptor.js';
import { isIndexType } from '../../registry/media-types.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { MirrorRuleSpec } from '../../topology/model.js';
import type { BlobLedger } from '../blob-ledger.js';
import type { BlobLocationCache } from '../blob-locations/blob-location-cache.js';
import { copy, DEFAULT_JOBS } from '../copy.js';
import { historyTag } from './history-tag.js';
import type { MirrorTagReport } from './report.js';

/** Annotation on a reduced (platform subset) index: the upstream index digest it was made from. */
export const SOURCE_DIGEST_ANNOTATION = 'io.regtopo.mirror.source-digest';

export interface TagDeps {
  client: RegistryClient;
  /** The run's: a blob shared by several tags is uploaded once, the others find it. */
  ledger?: BlobLedger;
  blobLocations?: BlobLocationCache;
  dryRun?: boolean;
  copyJobs?: number;
  now?: () => Date;
  signal?: AbortSignal;
  progress?: ImageProgress;
  /** Carry the referrers of what is copied (default true; issue 14). */
  referrers?: boolean;
}

export type TagOutcome = Pick<MirrorTagReport, 'action'> & Partial<Omit<MirrorTagReport, 'action'>>;


export interface RuleContext {
  rule: MirrorRuleSpec;
  up: RegistryRepository;
  archive: RegistryRepository;
  upRef: Reference;
  archiveRef: Reference;
  subset: boolean;
  /** The topology's `limits.concurrency` for these registries, if any: caps parallel transfers. */
  copyLimit?: number;
  /**
   * Whether the Archive repository was new to its registry when the run began, asked once per rule
   * (or known from its tag list). Blobs the run wrote since are in the ledger, so it stays true.
   */
  archiveUnknown: () => Promise<boolean>;
  /** The upstream's tag list, when the rule listed it: the referrer walk finds cosign and fallback tags in it. */
  upstreamTags?: readonly string[];
  /** Whether the upstream repository answers the referrers API, learnt by the rule's first copy. */
  upstreamReferrersApi: { supported?: boolean };
}

/** Why an archived tag is kept without mirroring: upstream deleted it, or the rule no longer selects it. */
export type KeepAction = 'kept-deleted-upstream' | 'kept-unselected';

/** An archived tag the run does not mirror: kept as is, reported with its digest. */
export async function keepArchived(ctx: RuleContext, tag: string, action: KeepAction): Promise<TagOutcome> {
  const current = await ctx.archive.headManifest(tag);
  return { action, ...(current && { archiveDigest: current.digest }) };
}

/** Decides and, when something changed, acts for one tag (a pull past the rate reserve throws E_RATE_RESERVE). */
export async function mirrorTag(ctx: RuleContext, tag: string, deps: TagDeps): Promise<TagOutcome> {
  const { rule } = ctx;
  const pin = rule.pins[tag];
  // Both HEADs at once: a no-op costs one round trip per tag. A pinned tag needs no upstream HEAD.
  const [current, up] = await Promise.all([ctx.archive.headManifest(tag), pin ? undefined : ctx.up.headManifest(tag)]);
  let wanted: string;
  if (pin) {
    if (current && (await holds(ctx, current, pin))) return { action: 'pinned', upstreamDigest: pin, archiveDigest: current.digest };
    wanted = pin;
  } else {
    if (!up) {
      if (current) return { action: 'kept-deleted-upstream', archiveDigest: current.digest };
      throw new RegtopoError('E_NOT_FOUND', `${ctx.upRef.withTag(tag)}: no such tag upstream`);
    }
    if (current && (await holds(ctx, current, up.digest))) return { action: 'skipped', upstreamDigest: up.digest, archiveDigest: current.digest };
    if (current && rule.freeze) return { action: 'frozen', upstreamDigest: up.digest, archiveDigest: current.digest };
    wanted = up.digest;
  }

  const action: TagOutcome['action'] = pin ? 'pinned' : current ? 'updated' : 'copied';
  const history = current ? historyTag(tag, current.digest, deps.now?.() ?? new Date()) : undefined;
  const moved = current && { previousDigest: current.digest, historyTag: history };
  if (deps.dryRun) return { action, upstreamDigest: wanted, ...moved };

  if (current && history) {
    // Keep the old digest reachable before the tag moves (Archive-only traffic).
    const raw = await ctx.archive.getManifest(current.digest);
    await ctx.archive.putManifest(history, raw);
  }
  const jobs = ctx.copyLimit === undefined ? deps.copyJobs : Math.min(deps.copyJobs ?? DEFAULT_JOBS, ctx.copyLimit);
  // What the HEADs above learned is passed on, so the copy does not ask again.
  const known = {
    ...(up && up.digest === wanted && { sourceHead: up }),
    targetHead: current ?? null,
    ...(!current && { targetUnknown: await ctx.archiveUnknown() }),
  };
  const r = await copy(
    { kind: 'registry', ref: ctx.upRef.withDigest(wanted) },
    { kind: 'registry', ref: ctx.archiveRef.withTag(tag) },
    {
      client: deps.client,
      ...known,
      ...(deps.signal && { signal: deps.signal }),
      ...(deps.ledger && { ledger: deps.ledger }),
      ...(deps.blobLocations && { blobLocations: deps.blobLocations }),
      ...(ctx.subset && { platforms: rule.platforms, reducedIndexAnnotations: { [SOURCE_DIGEST_ANNOTATION]: wanted } }),
      ...(jobs !== undefined && { jobs }),
      ...progressFor(deps.progress, ctx.archiveRef.withTag(tag).toString()),
      referrers: deps.referrers !== false,
      ...(ctx.upstreamTags && { sourceTags: ctx.upstreamTags }),
      sourceReferrersApi: ctx.upstreamReferrersApi,
    },
  );
  const referrers = r.referrers && { referrers: { copied: r.referrers.copied, present: r.referrers.present, warnings: r.referrers.warnings } };
  return { action, upstreamDigest: r.sourceDigest, archiveDigest: r.digest, bytes: r.bytes, ...moved, ...referrers };
}

/** Whether the Archive's manifest is (or, for a platform subset, was reduced from) `upstreamDigest`. */
async function holds(ctx: RuleContext, current: Descriptor, upstreamDigest: string): Promise<boolean> {
  if (current.digest === upstreamDigest) return true;
  if (!ctx.subset || !isIndexType(current.mediaType)) return false;
  const raw = await ctx.archive.getManifest(current.digest);
  try {
    const doc = JSON.parse(Buffer.from(raw.bytes).toString('utf8')) as { annotations?: Record<string, string> };
    return doc.annotations?.[SOURCE_DIGEST_ANNOTATION] === upstreamDigest;
  } catch {
    return false;
  }
}
