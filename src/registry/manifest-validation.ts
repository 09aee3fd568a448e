/**
 * Which media type a manifest document really is, decided once from its shape, its own `mediaType`
 * field and the type it was served or listed under (OCI image-spec manifest.md / image-index.md,
 * "Security considerations"; CVE-2021-41190). A document that could be read both as an image and as
 * an index is refused, so no two clients can disagree about what one digest means. Where the only
 * disagreement is the flavour (Docker vs OCI) and the document itself is unambiguous, the document's
 * own word wins: that is the type a registry validates it against, and what other tools push it as.
 */
import { RegtopoError } from '../errors.js';
import { isDockerManifestType, isSchema1Type, manifestKindOf, ociTypeOfKind } from './media-types.js';

export type ManifestKind = 'index' | 'image';

export interface ResolvedType {
  kind: ManifestKind;
  /** The media type to push the bytes with. */
  mediaType: string;
}

/**
 * `claimed` is the Content-Type or descriptor media type the document came under (undefined when
 * nothing said). Throws E_MANIFEST_UNSUPPORTED for schema 1 and unknown types, E_CONTENT_INVALID for
 * contradictions.
 */
export function resolveManifestType(doc: Record<string, unknown>, claimed: string | undefined, where: string): ResolvedType {
  const own = doc.mediaType;
  if (doc.schemaVersion === 1 || (claimed !== undefined && isSchema1Type(claimed)) || (typeof own === 'string' && isSchema1Type(own))) {
    throw schema1Unsupported(where);
  }
  if (doc.schemaVersion !== 2) throw invalid(where, `schemaVersion is ${describeValue(doc.schemaVersion)}, expected 2`);
  if (own !== undefined && typeof own !== 'string') throw invalid(where, `mediaType is ${describeValue(own)}, expected a string`);
  const shape = shapeOf(doc, where);
  const claimedKind = manifestKindOf(claimed);

  if (own !== undefined) {
    const ownKind = manifestKindOf(own);
    if (!ownKind) throw unsupported(where, own);
    if (shape !== undefined && shape !== ownKind) {
      throw invalid(where, `the document says it is ${own} but has ${ownKind === 'index' ? '"config"/"layers"' : '"manifests"'}`);
    }
    if (claimedKind && claimedKind !== ownKind) throw invalid(where, `listed or served as ${claimed} but the document says it is ${own}`);
    return { kind: ownKind, mediaType: own };
  }

  if (claimed !== undefined && claimedKind === undefined) throw unsupported(where, claimed);
  const kind = shape ?? claimedKind;
  if (!kind) throw invalid(where, 'the document has neither "manifests" nor "config"');
  if (claimedKind && claimedKind !== kind) {
    throw invalid(where, `listed or served as ${claimed} but the document has ${kind === 'index' ? '"manifests"' : '"config"'}`);
  }
  // Docker schema 2 documents must carry their mediaType (registries refuse them otherwise); without
  // it the bytes are a valid OCI document of the same kind, and that is what they get pushed as.
  if (claimed === undefined || isDockerManifestType(claimed)) return { kind, mediaType: ociTypeOfKind(kind) };
  return { kind, mediaType: claimed };
}

/** 'index' for `manifests`, 'image' for `config`/`layers`, undefined for neither; both is refused. */
function shapeOf(doc: Record<string, unknown>, where: string): ManifestKind | undefined {
  const index = doc.manifests !== undefined;
  const image = doc.config !== undefined || doc.layers !== undefined;
  if (index && image) throw invalid(where, 'the document has both "manifests" and "config"/"layers": it is neither an image nor an index');
  return index ? 'index' : image ? 'image' : undefined;
}

export function schema1Unsupported(where: string): RegtopoError {
  return new RegtopoError('E_MANIFEST_UNSUPPORTED', `${where}: Docker schema 1 manifests are not supported (deprecated since 2017); re-push the image with a current client`);
}

function unsupported(where: string, mediaType: string): RegtopoError {
  return new RegtopoError('E_MANIFEST_UNSUPPORTED', `${where}: unsupported manifest media type "${mediaType}"`);
}

export function invalid(where: string, why: string): RegtopoError {
  return new RegtopoError('E_CONTENT_INVALID', `${where}: ${why}`);
}

/** A JSON value as a message may show it: never `undefined`, `[object Object]` or a whole document. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'not a finite number';
  if (typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}
