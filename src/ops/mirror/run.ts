/**
 * `mirror(config, options)`: gives the topology's `mirrors:` rules their behaviour. For each selected
 * (rule, tag) it decides with HEADs only (upstream tag, Archive tag) whether anything changed, and
 * pulls only when it did: equal digests cost no manifest GET at all, so a no-op run is quota-free on
 * Docker Hub. A moved upstream tag first keeps the Archive's old digest under a history tag; a tag
 * deleted upstream stays in the Archive; pins and `freeze` override upstream.
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
import { isRegtopoError, RegtopoError, type ErrorCode } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { Descriptor } from '../../registry/descriptor.js';
import { isIndexType } from '../../registry/media-types.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { MirrorRuleSpec, Topology } from '../../topology/model.js';
import { resolveRegistryRef } from '../../topology/registry-lookup.js';
import { assertWriteAllowed } from '../../topology/write-authority.js';
import { copy } from '../copy.js';
import { clientForTopology, type TopologyClientOptions } from '../topology-client.js';
import { historyTag, isHistoryTag } from './history-tag.js';
import { acquireLock } from './lock.js';
import { RateLimitTracker } from './rate-limit.js';
import { summarise, type MirrorReport, type MirrorTagReport } from './report.js';
import { matchesRulePatterns, needsTagList, selectTags } from './select-tags.js';
import { inShard, parseShard, type Shard } from './shard.js';

/** Annotation on a reduced (platform subset) index: the upstream index digest it was made from. */
export const SOURCE_DIGEST_ANNOTATION = 'io.regtopo.mirror.source-digest';
/** Pulls left untouched on the upstream unless --reserve says otherwise. */
export const DEFAULT_RESERVE = 10;
// Decisions are two small HEADs per tag: 8 in flight keep a no-op run latency-bound, not serial.
const DEFAULT_TAG_JOBS = 8;

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
  /** Tags mirrored in parallel within a rule (default 8). */
  jobs?: number;
  /** Parallel blob transfers per copy (copy's default when absent). */
  copyJobs?: number;
  /** Bring your own client; hook `rateLimits.observe` into its `onResponse` so quotas are seen. */
  client?: RegistryClient;
  rateLimits?: RateLimitTracker;
  /** Options for the client built from the topology when `client` is absent. */
  clientOptions?: TopologyClientOptions;
  /** Clock for history tag dates (tests). */
  now?: () => Date;
  /** Called as each tag finishes (progress output). */
  onTag?: (tag: MirrorTagReport) => void;
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
    if (!client) {
      const hook = options.clientOptions?.onResponse;
      client = clientForTopology(config, {
        ...options.clientOptions,
        onResponse: (req, res) => {
          hook?.(req, res);
          tracker.observe(req, res);
        },
      });
    }
    return await new MirrorRun(config, rules, client, tracker, { ...options, reserve, shard }).run();
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

type TagOutcome = Pick<MirrorTagReport, 'action'> & Partial<Omit<MirrorTagReport, 'action'>>;

/** Thrown inside a tag task when the reserve would be crossed; never escapes the run. */
class ReserveStop extends Error {}

interface RuleContext {
  rule: MirrorRuleSpec;
  up: RegistryRepository;
  archive: RegistryRepository;
  upRef: Reference;
  archiveRef: Reference;
  /** The upstream's API host[:port], as rate-limit state is keyed. */
  quotaHost: string;
  subset: boolean;
}

class MirrorRun {
  private readonly started = performance.now();
  private readonly tags: MirrorTagReport[] = [];
  private readonly ruleErrors: MirrorReport['ruleErrors'] = [];
  private stop?: { reason: 'rate-reserve' | 'rate-limited'; message: string };
  private readonly remaining: Array<{ rule: string; tags?: string[] }> = [];

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
        this.ruleErrors.push({ rule: rule.name, ...errorOf(err) });
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
    const ctx: RuleContext = {
      rule, upRef, archiveRef,
      up: this.client.repository(upRef),
      archive: this.client.repository(archiveRef),
      quotaHost: new URL(this.client.url(upstream.host, '/')).host,
      subset: rule.platforms.length > 0,
    };

    let tags: string[];
    let deleted: string[] = [];
    if (needsTagList(rule)) {
      const listed = await ctx.up.listTags();
      tags = selectTags(rule, listed);
      // Tags the Archive holds under this rule's patterns that upstream no longer lists.
      const present = new Set(listed);
      const archived = await ctx.archive.listTags().catch((err: unknown) => {
        if (isRegtopoError(err) && err.code === 'E_NOT_FOUND') return [] as string[];
        throw err;
      });
      const selected = new Set(tags);
      deleted = archived.filter((t) => !isHistoryTag(t) && !present.has(t) && !selected.has(t) && matchesRulePatterns(rule, t));
    } else {
      tags = selectTags(rule);
    }
    const mine = (t: string) => inShard(this.options.shard, rule.name, t);
    tags = tags.filter(mine);
    deleted = deleted.filter(mine);

    const order = new Map([...tags, ...deleted].map((t, i) => [t, i]));
    const done: MirrorTagReport[] = [];
    const left: string[] = [];
    const limit = pLimit(this.options.jobs ?? DEFAULT_TAG_JOBS);
    await Promise.all([
      ...deleted.map((t) => limit(() => this.task(ctx, t, done, left, true))),
      ...tags.map((t) => limit(() => this.task(ctx, t, done, left, false))),
    ]);
    done.sort((a, b) => order.get(a.tag)! - order.get(b.tag)!);
    this.tags.push(...done);
    if (left.length > 0) this.remaining.push({ rule: rule.name, tags: left.sort((a, b) => order.get(a)! - order.get(b)!) });
  }

  private async task(ctx: RuleContext, tag: string, done: MirrorTagReport[], left: string[], deletedUpstream: boolean): Promise<void> {
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
      const outcome = deletedUpstream ? await this.keepDeleted(ctx, tag) : await this.mirrorTag(ctx, tag);
      report = { ...base, bytes: 0, ...outcome, ms: Math.round(performance.now() - started) };
    } catch (err) {
      if (err instanceof ReserveStop) {
        left.push(tag);
        return;
      }
      this.stopFor(err);
      report = { ...base, action: 'failed', bytes: 0, ms: Math.round(performance.now() - started), error: errorOf(err) };
    }
    done.push(report);
    this.options.onTag?.(report);
  }

  /** Records a stop for 429s (after the client's own backoff); true when the error was one. */
  private stopFor(err: unknown): boolean {
    if (!isRegtopoError(err) || err.code !== 'E_RATE_LIMITED') return false;
    this.stop ??= { reason: 'rate-limited', message: `still rate limited after backing off: ${err.message}` };
    return true;
  }

  private async keepDeleted(ctx: RuleContext, tag: string): Promise<TagOutcome> {
    const current = await ctx.archive.headManifest(tag);
    return { action: 'kept-deleted-upstream', ...(current && { archiveDigest: current.digest }) };
  }

  private async mirrorTag(ctx: RuleContext, tag: string): Promise<TagOutcome> {
    const { rule } = ctx;
    const pin = rule.pins[tag];
    // Both HEADs at once: a no-op costs one round trip per tag. A pinned tag needs no upstream HEAD.
    const [current, up] = await Promise.all([ctx.archive.headManifest(tag), pin ? undefined : ctx.up.headManifest(tag)]);
    let wanted: string;
    if (pin) {
      if (current && (await this.holds(ctx, current, pin))) return { action: 'pinned', upstreamDigest: pin, archiveDigest: current.digest };
      wanted = pin;
    } else {
      if (!up) {
        if (current) return { action: 'kept-deleted-upstream', archiveDigest: current.digest };
        throw new RegtopoError('E_NOT_FOUND', `${ctx.upRef.withTag(tag)}: no such tag upstream`);
      }
      if (current && (await this.holds(ctx, current, up.digest))) return { action: 'skipped', upstreamDigest: up.digest, archiveDigest: current.digest };
      if (current && rule.freeze) return { action: 'frozen', upstreamDigest: up.digest, archiveDigest: current.digest };
      wanted = up.digest;
    }

    const action: TagOutcome['action'] = pin ? 'pinned' : current ? 'updated' : 'copied';
    const history = current ? historyTag(tag, current.digest, this.options.now?.() ?? new Date()) : undefined;
    const moved = current && { previousDigest: current.digest, historyTag: history };
    if (this.options.dryRun) return { action, upstreamDigest: wanted, ...moved };

    if (this.tracker.reserveReached(ctx.quotaHost, this.options.reserve)) {
      const remaining = this.tracker.get(ctx.quotaHost)?.remaining;
      this.stop ??= { reason: 'rate-reserve', message: `${ctx.quotaHost} reports ${remaining} pulls remaining, at or below the reserve of ${this.options.reserve}` };
      throw new ReserveStop();
    }
    if (current && history) {
      // Keep the old digest reachable before the tag moves (Archive-only traffic).
      const raw = await ctx.archive.getManifest(current.digest);
      await ctx.archive.putManifest(history, raw);
    }
    const r = await copy(
      { kind: 'registry', ref: ctx.upRef.withDigest(wanted) },
      { kind: 'registry', ref: ctx.archiveRef.withTag(tag) },
      {
        client: this.client,
        ...(ctx.subset && { platforms: rule.platforms, reducedIndexAnnotations: { [SOURCE_DIGEST_ANNOTATION]: wanted } }),
        ...(this.options.copyJobs !== undefined && { jobs: this.options.copyJobs }),
      },
    );
    return { action, upstreamDigest: r.sourceDigest, archiveDigest: r.digest, bytes: r.bytes, ...moved };
  }

  /** Whether the Archive's manifest is (or, for a platform subset, was reduced from) `upstreamDigest`. */
  private async holds(ctx: RuleContext, current: Descriptor, upstreamDigest: string): Promise<boolean> {
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
}

function errorOf(err: unknown): { code: ErrorCode; message: string } {
  if (isRegtopoError(err)) return { code: err.code, message: err.message };
  return { code: 'E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
