/**
 * Descriptors and the parsed shapes of manifests and indexes (OCI image-spec descriptor.md).
 * Parsing validates what the copy walk relies on (digests, sizes) and keeps everything else opaque:
 * the bytes are what gets pushed, never a re-serialisation.
 */
import { RegtopoError } from '../errors.js';
import { isDigest } from '../ref/digest.js';
import { describeValue, invalid, resolveManifestType, schema1Unsupported } from './manifest-validation.js';
import { isSchema1Type, manifestKindOf, MediaType } from './media-types.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
  urls?: string[];
}

/** A manifest as stored: its exact bytes, media type and digest. */
export interface RawManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

export interface ImageManifest {
  kind: 'image';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface IndexManifest {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type ParsedManifest = ImageManifest | IndexManifest;

/**
 * Parses and validates manifest bytes: the document's shape, its media type against the type it was
 * served or listed under (see manifest-validation.ts), and every descriptor in it. `pointer` is the
 * descriptor that led here (an index entry, the tag's descriptor): its digest, size and kind must
 * match too. The returned `mediaType` is the one to push the bytes with.
 */
export function parseManifest(raw: RawManifest, where: string, pointer?: Descriptor): ParsedManifest {
  if (pointer) checkPointer(raw, pointer, where);
  if (isSchema1Type(raw.mediaType)) throw schema1Unsupported(where);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(raw.bytes).toString('utf8'));
  } catch {
    throw invalid(where, 'manifest is not valid JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalid(where, 'manifest is not a JSON object');
  const fields = doc as Record<string, unknown>;
  const { kind, mediaType } = resolveManifestType(fields, raw.mediaType, where);
  const pointed = manifestKindOf(pointer?.mediaType);
  if (pointed && pointed !== kind) throw invalid(where, `the descriptor that points here says ${pointer!.mediaType}, but the document is ${mediaType}`);
  const subject = fields.subject === undefined ? undefined : parseDescriptor(fields.subject, `${where} subject`);
  const artifactType = optionalString(fields.artifactType, where, 'artifactType');
  const annotations = parseAnnotations(fields.annotations, where);
  if (kind === 'index') {
    if (!Array.isArray(fields.manifests)) throw invalid(where, 'index has no "manifests" array');
    const manifests = fields.manifests.map((d, i) => parseDescriptor(d, `${where} manifests[${i}]`));
    return { kind, mediaType, manifests, subject, artifactType, annotations };
  }
  if (fields.config === undefined) throw invalid(where, 'image manifest has no "config"');
  const config = parseDescriptor(fields.config, `${where} config`);
  if (fields.layers !== undefined && !Array.isArray(fields.layers)) throw invalid(where, `"layers" is ${describeValue(fields.layers)}, expected an array`);
  const layers = ((fields.layers as unknown[] | undefined) ?? []).map((d, i) => parseDescriptor(d, `${where} layers[${i}]`));
  return { kind, mediaType, config, layers, subject, artifactType, annotations };
}

/** The manifest as it is to be pushed: its bytes unchanged, under the media type validation settled on. */
export function pushable(raw: RawManifest, parsed: ParsedManifest): RawManifest {
  return parsed.mediaType === raw.mediaType ? raw : { ...raw, mediaType: parsed.mediaType };
}

function checkPointer(raw: RawManifest, pointer: Descriptor, where: string): void {
  if (isSchema1Type(pointer.mediaType)) throw schema1Unsupported(where);
  if (pointer.digest !== raw.digest) {
    throw new RegtopoError('E_DIGEST_MISMATCH', `${where}: content hashes to ${raw.digest}, its descriptor says ${pointer.digest}`);
  }
  if (pointer.size !== raw.bytes.length) {
    throw new RegtopoError('E_SIZE_MISMATCH', `${where}: manifest is ${raw.bytes.length} bytes, its descriptor says ${pointer.size}`);
  }
}

/** Media type from the document itself, for stores (like OCI layouts) that don't carry headers. */
export function sniffMediaType(bytes: Uint8Array): string | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (typeof doc.mediaType === 'string') return doc.mediaType;
    if (doc.schemaVersion === 1) return MediaType.DockerSchema1;
    if (Array.isArray(doc.manifests)) return MediaType.OciIndex;
    if (doc.config) return MediaType.OciManifest;
  } catch { /* not JSON: caller reports */ }
  return undefined;
}

/** A descriptor with every field the copy relies on checked; errors name the field, never a JS value. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(where, `descriptor is ${describeValue(value)}, expected an object`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string') throw invalid(where, `descriptor mediaType is ${describeValue(d.mediaType)}, expected a string`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw invalid(where, `descriptor size is not a non-negative integer (it is ${describeValue(d.size)})`);
  }
  if (typeof d.digest !== 'string') throw invalid(where, `descriptor digest is ${describeValue(d.digest)}, expected a string`);
  if (!isDigest(d.digest)) throw invalid(`invalid ${where} digest ${describeValue(d.digest)}`, 'expected sha256:<64 hex> or sha512:<128 hex>');
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== 'string'))) {
    throw invalid(where, `descriptor urls is ${describeValue(d.urls)}, expected an array of strings`);
  }
  if (d.platform !== undefined) checkPlatform(d.platform, where);
  if (d.annotations !== undefined) parseAnnotations(d.annotations, where);
  return d as unknown as Descriptor;
}

function checkPlatform(p: unknown, where: string): void {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw invalid(where, `descriptor platform is ${describeValue(p)}, expected an object`);
  const fields = p as Record<string, unknown>;
  for (const key of ['os', 'architecture']) {
    if (typeof fields[key] !== 'string') throw invalid(where, `platform ${key} is ${describeValue(fields[key])}, expected a string`);
  }
  if (fields.variant !== undefined && typeof fields.variant !== 'string') throw invalid(where, `platform variant is ${describeValue(fields.variant)}, expected a string`);
}

function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(where, `annotations is ${describeValue(value)}, expected an object of strings`);
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') throw invalid(where, `annotation ${JSON.stringify(k)} is ${describeValue(v)}, expected a string`);
  return value as Record<string, string>;
}

function optionalString(value: unknown, where: string, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(where, `${field} is ${describeValue(value)}, expected a string`);
  return value;
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/') || 'unknown';
}
