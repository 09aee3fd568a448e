/**
 * Digest-exact copy between registries and OCI layouts. First reads and validates the whole tree
 * (copy-plan.ts), then moves each blob once (copy-blob.ts: mounting what the target registry
 * already holds elsewhere, from the source, the run's ledger, the location cache or the caller's
 * candidates), then pushes manifests,
 * children before their index, each with its original bytes. A target tag that already holds the
 * source digest costs two HEADs and nothing else; into a repository the registry does not know yet,
 * blobs are uploaded without existence checks (one tag-list probe instead of a HEAD per blob).
 */
import pLimit from 'p-limit';
import { RegtopoError } from '../errors.js';
import { digestOf } from '../ref/digest.js';
import { formatLocation, parseLocation, type Location } from '../ref/location.js';
import { formatPlatform, parseManifest, type Descriptor, type RawManifest } from '../registry/descriptor.js';
import type { ImageStore } from '../registry/image-store.js';
import { describeValue, schema1Unsupported } from '../registry/manifest-validation.js';
import { isIndexType, isSchema1Type } from '../registry/media-types.js';
import { RegistryClient } from '../registry/registry-client.js';
import { RegistryRepository } from '../registry/registry-repository.js';
import { BlobLedger } from './blob-ledger.js';
import type { BlobLocationCache } from './blob-locations/blob-location-cache.js';
import { BlobMover, MOUNT_JOBS } from './copy-blob.js';
import { planCopy, type PlannedManifest } from './copy-plan.js';
import type { CopyProgress } from './copy-progress.js';
import { openStore, referenceOf, tagOf } from './open-store.js';
import { matchesPlatform, parsePlatform } from './platform-filter.js';
import { abortedOr, throwIfAborted } from '../transport/abort.js';
import { carryReferrers, sideOf, subjectsOf, type ReferrerCopyResult } from './referrers/index.js';

export interface CopyOptions {
  /** Shared client (connection pools, tokens); default: a new one closed when the copy ends. */
  client?: RegistryClient;
  /** Copy only these platforms (`linux/amd64`); writes a reduced index whose digest differs. */
  platforms?: string[];
  /**
   * Parallel blob transfers (default 8). When given, it also caps the mounts in flight, which run
   * 16 at once by default: a registry's `limits.concurrency` reaches the copy this way.
   */
  jobs?: number;
  progress?: CopyProgress;
  /** Called before anything is written; throw to refuse (the topology's write authority). */
  authorizeWrite?: (target: Location) => void | Promise<void>;
  /** Annotations added to a reduced index (mirroring records the upstream digest this way). */
  reducedIndexAnnotations?: Record<string, string>;
  /**
   * Stops the copy when it fires: open upload sessions are cancelled and temp files in OCI layouts
   * removed before the copy rejects with E_INTERRUPTED.
   */
  signal?: AbortSignal;
  /**
   * Also copy non-distributable layers (OCI `…nondistributable…`, Docker foreign layers) that carry
   * `urls`, when the source holds them. Default false: they stay behind and the manifest is copied
   * byte-exact, as the image spec and skopeo do; clients fetch them from their urls. With it, a
   * target that already holds the digest is still looked through, for layers an earlier copy left.
   */
  includeForeign?: boolean;
  /**
   * Repositories on the target registry that may hold the copy's blobs (the topology's other
   * stages, replicas, mirrors: see mountCandidates()). Each blob the target lacks is mounted from
   * one of them when it can be, before any upload. Default none.
   */
  mountCandidates?: readonly string[];
  /**
   * Persistent digest → repository sightings (blob-locations/): consulted for mounts, updated with
   * every blob found, mounted or written. Default none (a library does not write the user's cache
   * unasked); the CLI passes the one under $XDG_CACHE_HOME/regtopo. Flushed when the copy ends,
   * unless `ledger` is given too (then the caller's run flushes it once).
   */
  blobLocations?: BlobLocationCache;
  /** Shared by the copies of one run: a blob moves into a registry once, the others find or mount it. */
  ledger?: BlobLedger;
  /** The caller HEADed the source already: its descriptor (saves the source HEAD). */
  sourceHead?: Descriptor;
  /** The caller HEADed the target tag already: its descriptor, or null when absent (saves the target HEAD). */
  targetHead?: Descriptor | null;
  /** The caller knows whether the target repository is new to its registry (saves the probe). */
  targetUnknown?: boolean;
  /**
   * Also copy what refers to the digest (ops/referrers/): OCI referrers, the fallback tag, cosign's
   * tags, recursively and for each child of an index. Default false, as regctl; the topology's ops
   * (promote, replicate, mirror, backup) turn it on.
   */
  referrers?: boolean;
  /**
   * With `referrers`: the source repository's tags, when the caller listed them already (a mirror
   * run lists each upstream once); the referrer walk looks for cosign and fallback tags in it
   * instead of listing again for every copy. Default: listed when needed.
   */
  sourceTags?: readonly string[];
  /**
   * With `referrers`: shared by the copies of one run from one source repository (a mirror rule).
   * The first copy records whether the source answers the referrers API; the later ones, when it
   * does not, look for the fallback tag only (a request per copy saved). Default: asked per copy.
   */
  sourceReferrersApi?: { supported?: boolean };
}

// Eight streams saturate a loopback or LAN registry without starving a 2-core machine, and stay
// well under typical registry per-client connection limits.
export const DEFAULT_JOBS = 8;

export interface CopyResult {
  source: string;
  target: string;
  sourceDigest: string;
  /** Digest written to the target: equals sourceDigest unless a platform subset was requested. */
  digest: string;
  mediaType: string;
  /** The target already held the source digest under this reference; nothing was written. */
  upToDate: boolean;
  platformSubset: boolean;
  manifests: { pushed: number; existing: number };
  blobs: { copied: number; mounted: number; existing: number };
  /** Blob bytes moved (mounted and existing blobs excluded). */
  bytes: number;
  durationMs: number;
  /** Blobs and bytes the validated tree needs, known before the first blob moved. */
  planned: { blobs: number; bytes: number };
  /** Non-distributable layers left behind (see `includeForeign`). */
  foreignSkipped: number;
  /** With `referrers`: what travelled with the image. */
  referrers?: ReferrerCopyResult;
}

export async function copy(source: string | Location, target: string | Location, options: CopyOptions = {}): Promise<CopyResult> {
  const srcLoc = typeof source === 'string' ? parseLocation(source) : source;
  const dstLoc = typeof target === 'string' ? parseLocation(target) : target;
  if (options.jobs !== undefined && (!Number.isInteger(options.jobs) || options.jobs < 1)) {
    throw new RegtopoError('E_USAGE', `jobs must be a positive integer, got ${describeValue(options.jobs)}`);
  }
  const selectors = options.platforms?.map(parsePlatform);
  const signal = options.signal;
  throwIfAborted(signal);
  await options.authorizeWrite?.(dstLoc);
  const client = options.client ?? new RegistryClient();
  const stores: ImageStore[] = [];
  try {
    const src = await openStore(srcLoc, client, 'read', { signal });
    stores.push(src);
    const dst = await openStore(dstLoc, client, 'write', { signal });
    stores.push(dst);
    const copyRun = new CopyRun(src, dst, srcLoc, dstLoc, options, selectors);
    const result = await copyRun.run();
    if (options.referrers) result.referrers = await copyReferrersOf(result, srcLoc, dstLoc, client, options, copyRun.written);
    if (!options.ledger) await options.blobLocations?.flush();
    return result;
  } catch (err) {
    if (!signal?.aborted) throw err;
    // The first aborted transfer ends the run while its siblings are still unwinding: let them
    // cancel their sessions and remove their temp files before the caller (or its client) moves on.
    await Promise.all(stores.map((s) => s.settled?.()));
    throw abortedOr(err, signal);
  } finally {
    if (!options.client) await client.close();
  }
}

class CopyRun {
  private readonly started = performance.now();
  private readonly limit;
  /** The copy's parallel blob transfers: options.jobs, else DEFAULT_JOBS. */
  private readonly jobs: number;
  private readonly mountJobs: number;
  private readonly blobTasks = new Map<string, Promise<void>>();
  private readonly result: CopyResult;
  private readonly mover: BlobMover;
  /**
   * The registry says the target repository does not exist, so no blob in it needs a HEAD. Manifests
   * are still HEADed: Distribution says "unknown" until a repository has a tag, even when manifests
   * were pushed into it by digest, and a present manifest saves its whole tree.
   */
  private targetUnknown = false;
  /** The root manifest as written, once it was read (not when the target was already up to date). */
  written: RawManifest | undefined;

  constructor(
    private readonly src: ImageStore,
    private readonly dst: ImageStore,
    private readonly srcLoc: Location,
    private readonly dstLoc: Location,
    private readonly options: CopyOptions,
    private readonly selectors: ReturnType<typeof parsePlatform>[] | undefined,
  ) {
    this.jobs = options.jobs ?? DEFAULT_JOBS;
    this.limit = pLimit(this.jobs);
    // An explicit `jobs` (the CLI's --jobs, or a registry's limits.concurrency) caps mounts too.
    this.mountJobs = options.jobs === undefined ? MOUNT_JOBS : Math.min(MOUNT_JOBS, options.jobs);
    this.result = {
      source: formatLocation(srcLoc), target: formatLocation(dstLoc), sourceDigest: '', digest: '', mediaType: '',
      upToDate: false, platformSubset: false, manifests: { pushed: 0, existing: 0 },
      blobs: { copied: 0, mounted: 0, existing: 0 }, bytes: 0, durationMs: 0, planned: { blobs: 0, bytes: 0 }, foreignSkipped: 0,
    };
    this.mover = new BlobMover(src, dst, {
      ledger: options.ledger, locations: options.blobLocations, mountCandidates: options.mountCandidates, progress: options.progress,
      transferSlot: this.limit, mountSlot: pLimit(this.mountJobs),
    }, this.result, () => this.targetUnknown);
  }

  async run(): Promise<CopyResult> {
    const srcRef = referenceOf(this.srcLoc);
    const putAs = this.targetReference();
    const { sourceHead, targetHead } = this.options;
    const srcDigest = this.srcLoc.kind === 'registry' ? this.srcLoc.ref.digest : this.srcLoc.digest;
    if (sourceHead && srcDigest && sourceHead.digest !== srcDigest) {
      throw new RegtopoError('E_USAGE', `${this.result.source}: sourceHead names ${sourceHead.digest}, not the source's digest`);
    }
    const headTarget = !this.selectors && targetHead === undefined;
    const holders = this.mover.guesses();
    // The second connection is for the next round's target requests (probe, root HEAD, one HEAD per
    // guessed holder), so none waits for a handshake then. A copy that turns out up to date leaves
    // them unused.
    if (headTarget) this.dst.preconnect?.(2 + holders.length);
    const heads = Promise.all([
      sourceHead ?? this.src.headManifest(srcRef),
      headTarget ? this.dst.headManifest(putAs) : this.selectors ? undefined : targetHead ?? undefined,
    ]);
    // Reading the location cache (milliseconds of parsing) waits for the HEADs to be on the wire.
    const cacheLoaded = new Promise<void>((resolve) => setImmediate(() => setImmediate(() => resolve(this.options.blobLocations?.load()))));
    const [head, existing] = await heads;
    if (!head) throw new RegtopoError('E_NOT_FOUND', `${this.result.source}: manifest not found`);
    // Before the GET: a registry re-signs schema 1 on every read, so its bytes never match a digest.
    if (isSchema1Type(head.mediaType)) throw schema1Unsupported(this.result.source);
    // With includeForeign, an earlier copy may have left foreign layers behind under the same digest.
    if (existing && existing.digest === head.digest && !this.options.includeForeign) {
      Object.assign(this.result, { sourceDigest: head.digest, digest: head.digest, mediaType: head.mediaType, upToDate: true });
      return this.finish();
    }
    // Connections for the blob round, dialled while this round runs (the first of them carries the
    // root HEAD when the pool has only one).
    this.dst.preconnect?.(burstGuess(head, Math.max(this.jobs, this.mountJobs)));
    // And to the source, when each blob the target lacks must be read from it: then the blob GETs
    // after the manifest need no handshake, a round trip off every cold copy across a WAN. Only
    // when the target has no such tag and nothing names a holder to mount from (once the location
    // cache has been read): a new tag of a repository that holds the blobs leaves them unused.
    if (!existing) {
      void cacheLoaded.then(() => {
        if (this.mover.knowsNoHolder()) this.src.preconnect?.(burstGuess(head, this.jobs));
      }, () => undefined);
    }
    // GET by the digest HEAD saw, so a tag moving meanwhile cannot mix two images. The target probe
    // rides along: into a new repository, a HEAD is a third of a small blob's requests.
    // So does the HEAD of the root's digest in the target (an alias tag may hold it), unless a
    // platform subset makes the written digest differ.
    // And so does a HEAD of the root in each guessed holder: a promotion of an image that another
    // repository of the registry holds already then mounts every blob without checking its length.
    const [root, unknown, rootPresent, rootHolder] = await Promise.all([
      this.src.getManifest(head.digest),
      existing ? false : (this.options.targetUnknown ?? this.dst.isUnknown?.() ?? false),
      this.selectors ? undefined : this.dst.headManifest(head.digest).then((d) => d !== undefined),
      existing?.digest === head.digest ? undefined : this.holderOf(head.digest, holders),
      cacheLoaded,
    ]);
    this.targetUnknown = unknown;
    this.result.sourceDigest = root.digest;
    const written = this.selectors ? this.reduce(root, head) : root;
    this.written = written;
    this.result.digest = written.digest;
    if (this.dstLoc.kind === 'registry' && this.dstLoc.ref.digest && this.dstLoc.ref.digest !== written.digest) {
      throw new RegtopoError('E_DIGEST_MISMATCH', `${this.result.target}: target digest differs from the copied manifest ${written.digest}`);
    }
    const plan = await planCopy(this.src, this.dst, written, written === root ? head : undefined, putAs, {
      includeForeign: this.options.includeForeign ?? false,
      where: this.result.source,
      ...(rootPresent !== undefined && { rootPresent }),
      targetUnknown: unknown,
    });
    this.result.mediaType = plan.root.manifest.mediaType;
    this.result.planned = { blobs: plan.blobs.length, bytes: plan.bytes };
    this.result.foreignSkipped = plan.foreign.length;
    this.options.progress?.({ type: 'plan', blobs: plan.blobs.length, bytes: plan.bytes });
    // The holder has the source root, so every blob of it (and of a platform subset of it).
    if (rootHolder) this.mover.heldBy(rootHolder, plan.blobs);
    // Every blob before any manifest: a failed blob leaves no manifest behind that needs it.
    await Promise.all(plan.blobs.map((d) => this.copyBlobOnce(d)));
    // The blobs' sightings are complete: the location cache is written while the manifests go out
    // (10-25 ms of file work hidden behind a round trip). A run with a ledger flushes once itself.
    const flushed = this.options.ledger ? undefined : this.options.blobLocations?.flush();
    try {
      await this.pushTree(plan.root, new Map());
    } finally {
      await flushed;
    }
    return this.finish();
  }

  /**
   * The first of `repositories` (on the target registry) that holds manifest `digest`, if any. Only a
   * hint: a registry that errs or refuses the read leaves the copy to its per-blob checks.
   */
  private async holderOf(digest: string, repositories: readonly string[]): Promise<string | undefined> {
    const dst = this.dst;
    if (!(dst instanceof RegistryRepository) || repositories.length === 0) return undefined;
    const found = await Promise.all(repositories.map((repository) => dst.holdsManifestIn(repository, digest)));
    return repositories[found.indexOf(true)];
  }

  /** The target's tag, else its digest, else the source's tag, else the digest alone (untagged push). */
  private targetReference(): string {
    const dstDigest = this.dstLoc.kind === 'registry' ? this.dstLoc.ref.digest : this.dstLoc.digest;
    const srcIsDigestOnly = (this.srcLoc.kind === 'registry' ? this.srcLoc.ref.digest : this.srcLoc.digest) !== undefined && tagOf(this.srcLoc) === undefined;
    return tagOf(this.dstLoc) ?? dstDigest ?? (srcIsDigestOnly ? referenceOf(this.srcLoc) : tagOf(this.srcLoc) ?? 'latest');
  }

  /** Children before their index; a manifest listed twice is pushed once. */
  private pushTree(node: PlannedManifest, pushed: Map<string, Promise<void>>): Promise<void> {
    const key = `${node.putAs} ${node.manifest.digest}`;
    let task = pushed.get(key);
    if (!task) {
      task = (async () => {
        await Promise.all(node.children.map((c) => this.pushTree(c, pushed)));
        await this.pushManifest(node);
      })();
      pushed.set(key, task);
    }
    return task;
  }

  private async pushManifest({ manifest, putAs, present, foreignLayers }: PlannedManifest): Promise<void> {
    if (present && putAs === manifest.digest) {
      this.result.manifests.existing++;
      this.options.progress?.({ type: 'manifest', digest: manifest.digest, reference: putAs, how: 'existing' });
      return;
    }
    try {
      await this.dst.putManifest(putAs, manifest);
    } catch (err) {
      // Distribution answers a bare 500 for layer urls it was not configured to allow.
      if (foreignLayers === 0 || !(err instanceof RegtopoError)) throw err;
      const hint = `the manifest lists ${foreignLayers} non-distributable layer(s) with urls, which the target must accept (Distribution refuses them unless validation.manifests.urls.allow matches)`;
      throw new RegtopoError(err.code, `${err.message} (${hint})`, { cause: err });
    }
    this.result.manifests.pushed++;
    this.options.progress?.({ type: 'manifest', digest: manifest.digest, reference: putAs, how: 'pushed' });
  }

  private copyBlobOnce(desc: Descriptor): Promise<void> {
    let task = this.blobTasks.get(desc.digest);
    if (!task) {
      task = this.mover.move(desc);
      this.blobTasks.set(desc.digest, task);
    }
    return task;
  }

  /** A new index holding only the selected platforms; everything else in the document is kept. */
  private reduce(root: RawManifest, head: Descriptor): RawManifest {
    const parsed = parseManifest(root, this.result.source, head);
    if (parsed.kind !== 'index') return root;
    const doc = JSON.parse(Buffer.from(root.bytes).toString('utf8')) as { manifests: Descriptor[]; annotations?: Record<string, string> };
    doc.manifests = doc.manifests.filter((d) => matchesPlatform(d, this.selectors!));
    if (doc.manifests.length === 0) {
      const offered = parsed.manifests.map((d) => formatPlatform(d.platform));
      throw new RegtopoError('E_USAGE', `${this.result.source}: no manifest matches --platform ${this.options.platforms!.join(',')} (offered: ${offered.join(', ')})`);
    }
    if (this.options.reducedIndexAnnotations) doc.annotations = { ...doc.annotations, ...this.options.reducedIndexAnnotations };
    const bytes = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
    this.result.platformSubset = true;
    return { bytes, mediaType: parsed.mediaType, digest: digestOf(bytes) };
  }

  private finish(): CopyResult {
    this.result.durationMs = Math.round(performance.now() - this.started);
    return this.result;
  }
}

/**
 * How many target requests the blob round will send at once, guessed from the root's HEAD before
 * its bytes are read: an image manifest spends ~160 bytes on each descriptor (media type, digest,
 * size), so its length tells how many blobs it lists; an index's children list more blobs than it
 * says. Never more than `most`, the requests the round runs at once (transfers or mounts). A wrong
 * guess costs an unused connection or a handshake.
 */
export function burstGuess(head: Descriptor, most: number): number {
  if (isIndexType(head.mediaType)) return most;
  return Math.min(most, Math.max(1, Math.floor(head.size / 160)));
}

/**
 * After the image: its referrers, and those of each child. A platform subset has another digest
 * than the source, so nothing refers to it: only the kept children's referrers travel.
 */
async function copyReferrersOf(
  result: CopyResult, srcLoc: Location, dstLoc: Location, client: RegistryClient, options: CopyOptions, written: RawManifest | undefined,
): Promise<ReferrerCopyResult> {
  const [srcSide, dstSide] = await Promise.all([sideOf(srcLoc, client, 'read', options.signal, {
    ...(options.sourceTags && { tags: options.sourceTags }), ...(options.sourceReferrersApi && { api: options.sourceReferrersApi }),
  }), sideOf(dstLoc, client, 'write', options.signal)]);
  // The copy's own verified bytes when it read them (a round trip saved per copy); else read from
  // the target, which holds it now: a source pull can cost quota (Docker Hub).
  const subjects = await subjectsOf(dstSide, result.digest, !result.platformSubset, written);
  return carryReferrers(srcSide, dstSide, subjects, {
    client, ledger: options.ledger ?? new BlobLedger(), jobs: options.jobs, signal: options.signal, recordTags: true,
    ...(options.authorizeWrite && { authorizeWrite: options.authorizeWrite }),
  });
}
