/**
 * Setting an immutable tag when several promotions race for it. Registries offer no conditional tag
 * write, and "PUT, then read back" lets two writers each read back their own PUT. So each writer
 * first claims the tag:
 *
 *   1. PUT a claim: a tiny unique manifest under a unique tag `rtc-<tag hash>-<digest hash>-<time>-<random>`;
 *   2. list the tags: if no live claim for another digest is there, the tag is ours to decide: set it
 *      (refusing if it already holds another digest), and only then delete the claim;
 *   3. if another live claim is there, delete ours, back off for a random moment, and try again
 *      (bounded); by then the tag is usually set and the answer is "unchanged" or E_CONFLICT.
 *
 * On a registry whose tag list shows every completed write (Distribution does), two claimants
 * cannot both see only themselves: whoever lists second sees the first claim, which stays until
 * the first claimant has finished its PUT of the tag. Claims for the same digest never compete (either
 * PUT sets the same thing), so a rerun is not held up by its own killed run. A claim left by a killed
 * run for another digest expires after
 * CLAIM_TTL plus the clock skew window (claims are dated by their writer's clock). Server-side tag
 * immutability (Harbor, ECR, Quay) makes this absolute; see the README.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegtopoError } from '../../errors.js';
import { digestOf } from '../../ref/digest.js';
import type { Descriptor, RawManifest } from '../../registry/descriptor.js';
import { MediaType } from '../../registry/media-types.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { tagsOf } from './records.js';

export const CLAIM_ARTIFACT_TYPE = 'application/vnd.regtopo.tag-claim.v1';
/** How long a claim of a run that died keeps others off; a live claim lasts a few requests. */
export const CLAIM_TTL_MS = 60_000;
const MAX_ATTEMPTS = 10;
const BACKOFF_BASE_MS = 40;

const EMPTY_JSON = Buffer.from('{}');
const EMPTY: Descriptor = { mediaType: MediaType.OciEmpty, digest: digestOf(EMPTY_JSON), size: EMPTY_JSON.length };
const CLAIM_TAG = /^rtc-([a-f0-9]{16})-([a-f0-9]{12})-([a-z0-9]{13})-([a-f0-9]{12})$/;

export interface ClaimOptions {
  now: () => number;
  /** promotion.clockSkew: a claim dated this far in the future still counts as live. */
  skewMs: number;
  signal?: AbortSignal;
}

export type ClaimedTagResult = { action: 'created' } | { action: 'unchanged' };

export function claimTagPrefix(tag: string): string {
  return `rtc-${createHash('sha256').update(tag).digest('hex').slice(0, 16)}-`;
}

/** The claims of `tag` for one digest. */
function claimPrefixFor(tag: string, digest: string): string {
  return `${claimTagPrefix(tag)}${createHash('sha256').update(digest).digest('hex').slice(0, 12)}-`;
}

export function isClaimTag(tag: string): boolean {
  return CLAIM_TAG.test(tag);
}

/**
 * Sets immutable `tag` in `repo` to `manifest` (whose digest is `digest`) unless it names another
 * digest: E_CONFLICT then, and when contention outlasts every attempt.
 */
export async function setImmutableTag(repo: RegistryRepository, tag: string, manifest: RawManifest, where: string, options: ClaimOptions): Promise<ClaimedTagResult> {
  const digest = manifest.digest;
  const conflict = (current: string) =>
    new RegtopoError('E_CONFLICT', `immutable tag ${where} already holds ${current}; refusing to move it to ${digest} (another promotion set it first)`);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = (await repo.headManifest(tag))?.digest;
    if (current === digest) return { action: 'unchanged' };
    if (current) throw conflict(current);
    const claim = await writeClaim(repo, tag, digest, options.now());
    let removed = false;
    const removeClaim = async () => {
      if (removed) return;
      removed = true;
      // Read back: under load a DELETE can fail or leave the tag listed, and a claim left behind holds
      // other promotions off until it expires. An undeletable claim just expires.
      for (let tries = 0; tries < 3; tries++) {
        await repo.deleteManifest(claim.digest).catch(() => undefined);
        if (!(await repo.headManifest(claim.tag).then(Boolean, () => true))) return;
      }
    };
    try {
      const listed = liveClaims(await tagsOf(repo), tag, options).filter((t) => t !== claim.tag && !t.startsWith(claimPrefixFor(tag, digest)));
      // Distribution can list a tag whose manifest a concurrent DELETE already removed (its untag
      // lost a race with other deletes): such a claim answers 404 and holds nothing.
      const others = (await Promise.all(listed.map(async (t) => ((await repo.headManifest(t).then(Boolean, () => true)) ? t : undefined)))).filter(Boolean);
      if (others.length === 0) {
        const now = (await repo.headManifest(tag))?.digest;
        if (now === digest) return { action: 'unchanged' };
        if (now) throw conflict(now);
        await repo.putManifest(tag, manifest);
        return { action: 'created' };
      }
    } finally {
      await removeClaim();
    }
    // Someone else is deciding this tag: let them finish, then look again.
    const wait = Math.random() * BACKOFF_BASE_MS * 2 ** Math.min(attempt, 5);
    try {
      await sleep(wait, undefined, { signal: options.signal });
    } catch {
      throw new RegtopoError('E_INTERRUPTED', `interrupted while waiting to set ${where}`);
    }
  }
  throw new RegtopoError('E_CONFLICT', `could not set immutable tag ${where}: other promotions kept claiming it (${MAX_ATTEMPTS} attempts); rerun`);
}

function liveClaims(tags: string[], tag: string, options: ClaimOptions): string[] {
  const prefix = claimTagPrefix(tag);
  const oldest = options.now() - CLAIM_TTL_MS - options.skewMs;
  return tags.filter((t) => {
    const m = t.startsWith(prefix) ? CLAIM_TAG.exec(t) : null;
    return m !== null && parseInt(m[3]!, 36) >= oldest;
  });
}

async function writeClaim(repo: RegistryRepository, tag: string, digest: string, now: number): Promise<{ tag: string; digest: string }> {
  const nonce = randomBytes(6).toString('hex');
  const claimTag = `${claimPrefixFor(tag, digest)}${now.toString(36).padStart(13, '0')}-${nonce}`;
  // A manifest of its own (unique by its annotations), so deleting it by digest removes only the claim.
  const manifest = {
    schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: CLAIM_ARTIFACT_TYPE, config: EMPTY, layers: [EMPTY],
    annotations: { 'io.regtopo.claim.tag': tag, 'io.regtopo.claim.digest': digest, 'io.regtopo.claim.nonce': nonce, 'org.opencontainers.image.created': new Date(now).toISOString() },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  if (!(await repo.hasBlob(EMPTY))) await repo.putBlob(EMPTY, async () => Readable.from([EMPTY_JSON]));
  const raw: RawManifest = { bytes, mediaType: MediaType.OciManifest, digest: digestOf(bytes) };
  await repo.putManifest(claimTag, raw);
  return { tag: claimTag, digest: raw.digest };
}
