/**
 * Writing the OCI referrers fallback tag (distribution-spec 1.1, "Referrers Tag Schema") on a store
 * without the referrers API: read the tag, union its entries with ours by digest (theirs kept as
 * they are, first), write, read back, and retry when another writer won meanwhile. No registry
 * offers a conditional tag write, so two writers can still interleave between a read-back and the
 * other's write and one entry is lost; every later copy re-merges what it finds, so a lost entry
 * comes back on the next run (test/integration/referrers-race.test.ts measures how often).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { digestOf } from '../../ref/digest.js';
import type { Descriptor, RawManifest } from '../../registry/descriptor.js';
import { MediaType } from '../../registry/media-types.js';
import { fallbackTag } from '../../registry/referrers.js';
import type { ReferrerSide } from './side.js';

export interface MergeResult {
  /** Entries this merge added (0 when the tag listed them all already). */
  added: number;
  /** Writes it took (0: nothing to write). */
  writes: number;
  /** Entries still missing after the last read-back: lost to a concurrent writer until the next run. */
  lost: number;
  /** The tag holds something that is not an index: left as it is. */
  refused?: string;
}

export interface MergeOptions {
  /** Write attempts before giving up (the entries then come back on the next run). */
  attempts?: number;
  signal?: AbortSignal;
}

// Five rounds outlast any realistic burst of concurrent promotions of one digest.
const DEFAULT_ATTEMPTS = 5;
const SETTLE_MS = 40;

export async function mergeFallbackTag(side: ReferrerSide, subject: string, wanted: readonly Descriptor[], options: MergeOptions = {}): Promise<MergeResult> {
  const tag = fallbackTag(subject);
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const result: MergeResult = { added: 0, writes: 0, lost: 0 };
  for (let round = 0; ; round++) {
    const current = await side.readTag(tag);
    const doc = current ? indexDoc(current) : { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    if (!doc) return { ...result, refused: `${side.description}:${tag} holds ${current!.mediaType}, not an index; left as it is` };
    const have = new Set(doc.manifests.map((m) => (m as { digest?: unknown }).digest));
    const missing = wanted.filter((d) => !have.has(d.digest));
    if (missing.length === 0) return result;
    if (round >= attempts) return { ...result, lost: missing.length };
    const next = { ...doc, schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...doc.manifests, ...missing.map(entryOf)] };
    const bytes = Buffer.from(JSON.stringify(next));
    await side.writeTag(tag, { bytes, mediaType: MediaType.OciIndex, digest: digestOf(bytes) });
    result.writes++;
    if (round === 0) result.added = missing.length;
    // The read-back waits a moment: a writer that read before our write lands its own write within
    // a round trip, and only a read after that sees whether it dropped our entries. Longer each
    // round, jittered, so two writers that collided do not collide again in lockstep.
    await sleep(SETTLE_MS * 2 ** round + Math.floor(Math.random() * SETTLE_MS), undefined, { signal: options.signal });
  }
}

/** The document of an index, or undefined for anything else (a tag another tool misused). */
function indexDoc(raw: RawManifest): ({ manifests: unknown[] } & Record<string, unknown>) | undefined {
  try {
    const doc = JSON.parse(Buffer.from(raw.bytes).toString('utf8')) as Record<string, unknown>;
    if (doc && typeof doc === 'object' && Array.isArray(doc.manifests) && (doc.mediaType === undefined || doc.mediaType === MediaType.OciIndex)) {
      return doc as { manifests: unknown[] } & Record<string, unknown>;
    }
  } catch {
    // not JSON: fall through
  }
  return undefined;
}

/** A fallback entry carries what the referrers API would answer: type, digest, size, artifactType, annotations. */
function entryOf(d: Descriptor): Descriptor {
  return {
    mediaType: d.mediaType, digest: d.digest, size: d.size,
    ...(d.artifactType !== undefined && { artifactType: d.artifactType }), ...(d.annotations && { annotations: d.annotations }),
  };
}
