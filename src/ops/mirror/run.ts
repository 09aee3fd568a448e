/**
 * `mirror(config, options)`: gives the topology's `mirrors:` rules their behaviour. For each selected
 * (rule, tag) it decides with HEADs only (upstream tag, Archive tag) whether anything changed, and
 * pulls only when it did: equal digests cost no manifest GET at all, so a no-op run is quota-free on
 * Docker Hub. A moved upstream tag first keeps the Archive's old digest under a history tag; a tag
 * deleted upstream, or one the rule no longer selects (it fell out of `newest`), stays in the Archive
 * and is reported as kept; pins and `freeze` override upstream.
 *
 * Platform subsets write a reduced index whose digest differs from upstream's, carrying the upstream
 * digest in the `io.regtopo.mirror.source-digest` annotation. Change detection for such tags reads
 * that annotation, which costs one manifest GET on the Archive (never on the upstream).
 *
 * The run keeps going past failing tags and rules; it stops early only when the upstream's rate-limit
 * reserve would be crossed (before the next upstream pull) or the upstream still answers 429 after
 * the client's Retry-After backoff, and then reports what is left.
 */
import pLimit from 'p-limit';
import { errorSummary, isRegtopoError, RegtopoError } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { MirrorRuleSpec, Topology } from '../../topology/model.js';
import { concurrencyLimit, resolveRegistryRef } from '../../topology/registry-lookup.js';
import { assertWriteAllowed } from '../../topology/write-authority.js';
import { BlobLedger } from '../blob-ledger.js';
import type { BlobLocationCache } from '../blob-locations/blob-location-cache.js';
import { clientForTopology, type TopologyClientOptions } from '../topology-client.js';
import { isHistoryTag } from './history-tag.js';
import { acquireLock } from './lock.js';
import { RateLimitTracker } from './rate-limit.js';
import { summarise, type MirrorReport, type MirrorTagReport } from './report.js';
import { matchesRulePatterns, needsTagList, selectTags } from './select-tags.js';
import { inShard, parseShard, type Shard } from './shard.js';
import type { ImageProgress } from '../image-progress.js';
import { keepArchived, mirrorTag, type KeepAction, type RuleContext, type TagDeps } from './mirror-tag.js';
import { throwIfAborted } from '../../transport/abort.js';

export { SOURCE_DIGEST_ANNOTATION } from './mirror-tag.js';
/** Pulls left untouched on the upstream unless --reserve says otherwise. */
export const DEFAULT_RESERVE = 10;
// Decisions are two small HEADs per tag, one connection to each side: 16 in flight use the client's
// 16 keep-alive connections per origin, so a no-op run costs about tags/16 round trips (WAN bench,
// RTT 40 ms, 100 tags: 8 in flight spent ~0.75 s in HEADs, 16 half that).
const DEFAULT_TAG_JOBS = 16;

export interface MirrorOptions {
  /** Only these rules (by name); default all. Unknown names are E_USAGE. */
  rules?: string[];
  /** Decide and report, write nothing (and pull nothing). */
  dryRun?: boolean;
  /** `I/N` or parsed: this worker's share of the (rule, tag) pairs. */
  shard?: Shard | string;
  /** Lock file held for the run (O_EXCL); E_LOCKED when another run holds it. */
  lockFile?: string;
  /** Stop before an upstream pull when its reported remaining quota is at or below this. */
  reserve?: number;
  /** Tags mirrored in parallel within a rule (default 16, or a lower `limits.concurrency` of its registries). */
  jobs?: number;
  /** Parallel blob transfers per copy (copy's default when absent). */
  copyJobs?: number;
  /** Bring your own client; add `rateLimits.layer(reserve)` to its `layers` so quotas are kept. */
  client?: RegistryClient;
  rateLimits?: RateLimitTracker;
  /** Options for the client built from the topology when `client` is absent. */
  clientOptions?: TopologyClientOptions;
  /** Clock for history tag dates (tests). */
  now?: () => Date;
  /** Each tag's copy events, by image (the archive's host/repository:tag); see ../image-progress.ts. */
  progress?: ImageProgress;
  /** Called as each tag finishes (progress output). */
  onTag?: (tag: MirrorTagReport) => void;
  /** Blob sightings kept across runs (see copy's `blobLocations`); the CLI passes the user's cache. Flushed when the run ends. */
  blobLocations?: BlobLocationCache;
  /** Stops the run (E_INTERRUPTED): tags in flight cancel their uploads, no further tag starts, the lock is released. */
  signal?: AbortSignal;
  /** Carry the referrers (signatures, SBOMs) of each tag copied (default true; issue 14). */
  referrers?: boolean;
}

export async function mirror(config: Topology, options: MirrorOptions = {}): Promise<MirrorReport> {
  const rules = pickRules(config, options.rules);
  const shard = typeof options.shard === 'string' ? parseShard(options.shard) : options.shard;
  const reserve = options.reserve ?? DEFAULT_RESERVE;
  if (!Number.isInteger(reserve) || reserve < 0) throw new RegtopoError('E_USAGE', `reserve must be a non-negative integer, got ${reserve}`);
  const lock = options.lockFile ? acquireLock(options.lockFile) : undefined;
  const tracker = options.rateLimits ?? new RateLimitTracker();
  let client = options.client;
  const ownClient = !client;
  try {
    client ??= clientForTopology(config, { ...options.clientOptions, layers: [...(options.clientOptions?.layers ?? []), tracker.layer(reserve)] });
    await options.blobLocations?.load();
    throwIfAborted(options.signal);
    const report = await new MirrorRun(config, rules, client, tracker, { ...options, reserve, shard }).run();
    await options.blobLocations?.flush();
    // Tags cut short by the signal are in the report as failures; the run as a whole was interrupted.
    throwIfAborted(options.signal);
    return report;
  } finally {
    if (ownClient) await client?.close();
    lock?.release();
  }
}

function pickRules(config: Topology, names: string[] | undefined): MirrorRuleSpec[] {
  const all = config.mirrors.rules;
  if (!names || names.length === 0) return all;
  const known = new Set(all.map((r) => r.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new RegtopoError('E_USAGE', `no mirror rule ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${[...known].join(', ') || '(none)'}`);
  }
  return all.filter((r) => names.includes(r.name));
}

class MirrorRun {
  private readonly started = performance.now();
  private readonly tags: MirrorTagReport[] = [];
  private readonly ruleErrors: MirrorReport['ruleErrors'] = [];
  private readonly invalidTags: NonNullable<MirrorReport['invalidTags']> = [];
  private stop?: { reason: 'rate-reserve' | 'rate-limited'; message: string };
  private readonly remaining: Array<{ rule: string; tags?: string[] }> = [];
  private readonly ledger = new BlobLedger();

  constructor(
    private readonly config: Topology,
    private readonly rules: MirrorRuleSpec[],
    private readonly client: RegistryClient,
    private readonly tracker: RateLimitTracker,
    private readonly options: MirrorOptions & { reserve: number; shard?: Shard },
  ) {}

  async run(): Promise<MirrorReport> {
    for (const rule of this.rules) {
      if (this.stop) {
        this.remaining.push({ rule: rule.name });
        continue;
      }
      try {
        await this.runRule(rule);
      } catch (err) {
        if (this.stopFor(err)) {
          this.remaining.push({ rule: rule.name });
          continue;
        }
        this.ruleErrors.push({ rule: rule.name, ...errorSummary(err) });
      }
    }
    const failed = this.ruleErrors.length > 0 || this.tags.some((t) => t.action === 'failed');
    const { shard } = this.options;
    return {
      outcome: this.stop ? this.stop.reason : failed ? 'partial' : 'ok',
      dryRun: this.options.dryRun === true,
      ...(shard && { shard: `${shard.index}/${shard.count}` }),
      reserve: this.options.reserve,
      tags: this.tags,
      ruleErrors: this.ruleErrors,
      ...(this.invalidTags.length > 0 && { invalidTags: this.invalidTags }),
      summary: summarise(this.tags, Math.round(performance.now() - this.started)),
      ...(this.stop && { stopped: { ...this.stop, remaining: this.remaining } }),
      rateLimits: this.tracker.all(),
    };
  }

  private async runRule(rule: MirrorRuleSpec): Promise<void> {
    const upstream = this.config.upstreams[rule.upstream];
    if (!upstream) throw new RegtopoError('E_CONFIG', `mirror rule "${rule.name}": no upstream "${rule.upstream}"`);
    const upRef = Reference.of(upstream.host, rule.repository);
    const archiveRef = resolveRegistryRef(this.config, rule.target, rule.path);
    assertWriteAllowed(this.config, archiveRef, 'mirror');
    let archiveUnknown: Promise<boolean> | undefined;
    const ctx: RuleContext = {
      rule, upRef, archiveRef,
      up: this.client.repository(upRef, { signal: this.options.signal }),
      archive: this.client.repository(archiveRef, { signal: this.options.signal }),
      subset: rule.platforms.length > 0,
      copyLimit: concurrencyLimit(this.config, upRef, archiveRef),
      archiveUnknown: () => (archiveUnknown ??= ctx.archive.isUnknown()),
      upstreamReferrersApi: {},
    };

    let tags: string[];
    // Archived tags this run keeps without mirroring: gone upstream, or no longer selected.
    let kept: Array<[string, KeepAction]> = [];
    if (needsTagList(rule)) {
      // Tag-list entries that are not tags never become request paths; the report names them.
      const invalid = (source: 'upstream' | 'archive') => (entry: string) => this.invalidTags.push({ rule: rule.name, source, entry });
      // Both lists at once: across a WAN the second would cost its own connection and round trip.
      let unknown = false;
      const [listed, archived] = await Promise.all([
        ctx.up.listTags({ onInvalidTag: invalid('upstream') }),
        ctx.archive.listTags({ onInvalidTag: invalid('archive') }).catch((err: unknown) => {
          if (isRegtopoError(err) && err.code === 'E_NOT_FOUND') {
            unknown = true;
            return [] as string[];
          }
          throw err;
        }),
      ]);
      ctx.upstreamTags = listed;
      tags = selectTags(rule, listed);
      // Tags the Archive holds under this rule's patterns that upstream no longer lists.
      const present = new Set(listed);
      // The tag list was the probe: an empty list is a repository that exists (it had tags once).
      archiveUnknown = Promise.resolve(unknown);
      const selected = new Set(tags);
      kept = archived
        .filter((t) => !isHistoryTag(t) && !selected.has(t) && matchesRulePatterns(rule, t))
        .map((t) => [t, present.has(t) ? 'kept-unselected' : 'kept-deleted-upstream']);
    } else {
      tags = selectTags(rule);
    }
    const mine = (t: string) => inShard(this.options.shard, rule.name, t);
    tags = tags.filter(mine);
    kept = kept.filter(([t]) => mine(t));

    const order = new Map([...tags, ...kept.map(([t]) => t)].map((t, i) => [t, i]));
    const done: MirrorTagReport[] = [];
    const left: string[] = [];
    // A registry's `limits.concurrency` also caps the tags deciding at once: each holds a request.
    const limit = pLimit(this.options.jobs ?? Math.min(DEFAULT_TAG_JOBS, ctx.copyLimit ?? DEFAULT_TAG_JOBS));
    await Promise.all([
      ...kept.map(([t, action]) => limit(() => this.task(ctx, t, done, left, action))),
      ...tags.map((t) => limit(() => this.task(ctx, t, done, left))),
    ]);
    done.sort((a, b) => order.get(a.tag)! - order.get(b.tag)!);
    this.tags.push(...done);
    if (left.length > 0) this.remaining.push({ rule: rule.name, tags: left.sort((a, b) => order.get(a)! - order.get(b)!) });
  }

  private async task(ctx: RuleContext, tag: string, done: MirrorTagReport[], left: string[], keep?: KeepAction): Promise<void> {
    if (this.stop) {
      left.push(tag);
      return;
    }
    const started = performance.now();
    const base = {
      rule: ctx.rule.name, tag,
      upstream: ctx.upRef.withTag(tag).toString(),
      archive: ctx.archiveRef.withTag(tag).toString(),
      ...(this.options.dryRun && { dryRun: true }),
    };
    let report: MirrorTagReport;
    try {
      const outcome = keep ? await keepArchived(ctx, tag, keep) : await mirrorTag(ctx, tag, this.tagDeps());
      report = { ...base, bytes: 0, ...outcome, ms: Math.round(performance.now() - started) };
    } catch (err) {
      if (isRegtopoError(err) && err.code === 'E_RATE_RESERVE') {
        // Refused before the pull was sent: nothing half-done, the tag is simply left for next time.
        this.stop ??= { reason: 'rate-reserve', message: err.message };
        left.push(tag);
        return;
      }
      this.stopFor(err);
      report = { ...base, action: 'failed', bytes: 0, ms: Math.round(performance.now() - started), error: errorSummary(err) };
    }
    done.push(report);
    this.options.onTag?.(report);
  }

  private tagDeps(): TagDeps {
    const o = this.options;
    return { client: this.client, dryRun: o.dryRun, copyJobs: o.copyJobs, now: o.now, ledger: this.ledger, signal: o.signal, referrers: o.referrers !== false, ...(o.blobLocations && { blobLocations: o.blobLocations }), ...(o.progress && { progress: o.progress }) };
  }

  /** Records a stop for 429s (after the client's own backoff); true when the error was one. */
  private stopFor(err: unknown): boolean {
    if (!isRegtopoError(err) || err.code !== 'E_RATE_LIMITED') return false;
    this.stop ??= { reason: 'rate-limited', message: `still rate limited after backing off: ${err.message}` };
    return true;
  }
}
