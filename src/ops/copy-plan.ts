/**
 * The first half of a copy: read and validate the whole manifest tree before any blob moves
 * (manifests are small, blobs are not), so a malformed or lying child costs no upload, and the copy
 * knows its blob count and bytes up front. A manifest the target already holds is not descended
 * into (a registry accepts a manifest only once it has everything below it), unless foreign layers
 * are wanted: those a registry accepts without.
 */
import { RegtopoError } from '../errors.js';
import { parseManifest, pushable, type Descriptor, type RawManifest } from '../registry/descriptor.js';
import type { ImageStore } from '../registry/image-store.js';
import { schema1Unsupported } from '../registry/manifest-validation.js';
import { isNonDistributableType, isSchema1Type } from '../registry/media-types.js';

export interface PlannedManifest {
  /** The bytes as read, under the media type they are pushed with. */
  manifest: RawManifest;
  /** Tag or digest it is written under. */
  putAs: string;
  /** The target already holds this digest, so nothing below it moves. */
  present: boolean;
  children: PlannedManifest[];
  /** Layers of this image left behind as non-distributable (the target must accept their urls). */
  foreignLayers: number;
}

export interface CopyPlan {
  root: PlannedManifest;
  /** Every blob to copy (or find present), once each. */
  blobs: Descriptor[];
  /** Sum of the blobs' sizes. */
  bytes: number;
  /** Non-distributable layers left behind: clients fetch them from their `urls`. */
  foreign: Descriptor[];
}

/** Real images nest an index in an index at most once or twice; a deeper tree is an attack on our memory. */
export const MAX_INDEX_DEPTH = 8;

export interface PlanOptions {
  /** Copy non-distributable layers the source holds instead of leaving them behind. */
  includeForeign: boolean;
  /** How the source is named in messages. */
  where: string;
  /** Whether the target holds the root's digest, when the caller asked alongside the root's GET (one round trip less). */
  rootPresent?: boolean;
  /**
   * The target repository is unknown to its registry (the copy's probe, CopyOptions.targetUnknown):
   * no manifest of the tree is HEADed there. Like the blob HEADs this skips, a hint: a manifest an
   * interrupted copy pushed by digest alone is pushed again, the same bytes under the same digest.
   */
  targetUnknown?: boolean;
}

export async function planCopy(src: ImageStore, dst: ImageStore, root: RawManifest, pointer: Descriptor | undefined, putAs: string, options: PlanOptions): Promise<CopyPlan> {
  const blobs = new Map<string, Descriptor>();
  const foreign = new Map<string, Descriptor>();
  // By digest: an index may list one child many times; it is read, checked and HEADed once.
  const visits = new Map<string, Promise<PlannedManifest>>();

  const addBlob = (d: Descriptor, where: string): void => {
    const seen = blobs.get(d.digest) ?? foreign.get(d.digest);
    // One digest is one content: two sizes for it mean one descriptor lies.
    if (seen && seen.size !== d.size) {
      throw new RegtopoError('E_SIZE_MISMATCH', `${where}: blob ${d.digest} is declared as ${d.size} bytes here and ${seen.size} bytes elsewhere in the image`);
    }
    foreign.delete(d.digest);
    blobs.set(d.digest, d);
  };

  /** True when the layer is left behind. */
  const layer = async (d: Descriptor, where: string): Promise<boolean> => {
    // A non-distributable layer without urls is fetchable only from the registry: it moves like any other.
    const leaveBehind = isNonDistributableType(d.mediaType) && (d.urls?.length ?? 0) > 0;
    if (leaveBehind && !(options.includeForeign && (await src.hasBlob(d)))) {
      if (!blobs.has(d.digest)) foreign.set(d.digest, d);
      return true;
    }
    addBlob(d, where);
    return false;
  };

  const child = async (d: Descriptor, depth: number): Promise<PlannedManifest> => {
    const where = `${options.where}@${d.digest}`;
    // Refused before the GET: a registry re-signs schema 1 on every read, so its bytes never verify.
    if (isSchema1Type(d.mediaType)) throw schema1Unsupported(where);
    if (depth > MAX_INDEX_DEPTH) throw new RegtopoError('E_CONTENT_INVALID', `${where}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    let node = visits.get(d.digest);
    if (!node) {
      // The descriptor names the digest, so the target's HEAD goes out with the source's GET, not a
      // round trip after it.
      node = Promise.all([src.getManifest(d.digest), targetHolds(d.digest)]).then(([raw, present]) => visit(raw, d, d.digest, where, depth, present));
      visits.set(d.digest, node);
      return node;
    }
    // A repeated entry still has to tell the truth about the child it names.
    const seen = await node;
    parseManifest(seen.manifest, where, d);
    return seen;
  };

  const targetHolds = async (digest: string): Promise<boolean> => !options.targetUnknown && (await dst.headManifest(digest)) !== undefined;

  const visit = async (raw: RawManifest, ptr: Descriptor | undefined, as: string, where: string, depth: number, present: boolean): Promise<PlannedManifest> => {
    const parsed = parseManifest(raw, where, ptr);
    const manifest = pushable(raw, parsed);
    // A tree copied earlier without its foreign layers is present but not whole: look inside.
    if (present && !options.includeForeign) return { manifest, putAs: as, present, children: [], foreignLayers: 0 };
    if (parsed.kind === 'index') {
      const children = await Promise.all(parsed.manifests.map((d) => child(d, depth + 1)));
      return { manifest, putAs: as, present, children, foreignLayers: 0 };
    }
    addBlob(parsed.config, `${where} config`);
    let foreignLayers = 0;
    for (const [i, d] of parsed.layers.entries()) if (await layer(d, `${where} layers[${i}]`)) foreignLayers++;
    return { manifest, putAs: as, present, children: [], foreignLayers };
  };

  const tree = await visit(root, pointer, putAs, options.where, 0, options.rootPresent ?? (await targetHolds(root.digest)));
  const list = [...blobs.values()];
  return { root: tree, blobs: list, bytes: list.reduce((n, d) => n + d.size, 0), foreign: [...foreign.values()] };
}
