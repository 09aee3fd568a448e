/**
 * Descriptors and the parsed shapes of manifests and indexes (OCI image-spec descriptor.md).
 * Parsing validates what the copy walk relies on (digests, sizes) and keeps everything else opaque:
 * the bytes are what gets pushed, never a re-serialisation.
 */
import { RegtopoError } from '../errors.js';
import { assertDigest } from '../ref/digest.js';
import { isImageManifestType, isIndexType, isSchema1Type, MediaType } from './media-types.js';

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

/** Parses manifest bytes of a known media type; schema1 and unknown types are E_MANIFEST_UNSUPPORTED. */
export function parseManifest(raw: RawManifest, where: string): ParsedManifest {
  if (isSchema1Type(raw.mediaType)) {
    throw new RegtopoError('E_MANIFEST_UNSUPPORTED', `${where}: Docker schema 1 manifests are not supported (deprecated since 2017); re-push the image with a current client`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(raw.bytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RegtopoError('E_MANIFEST_INVALID', `${where}: manifest is not valid JSON`);
  }
  if (doc === null || typeof doc !== 'object') throw new RegtopoError('E_MANIFEST_INVALID', `${where}: manifest is not a JSON object`);
  const mediaType = raw.mediaType;
  const subject = doc.subject === undefined ? undefined : parseDescriptor(doc.subject, `${where} subject`);
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  const annotations = doc.annotations as Record<string, string> | undefined;
  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new RegtopoError('E_MANIFEST_INVALID', `${where}: index has no "manifests" array`);
    const manifests = doc.manifests.map((d, i) => parseDescriptor(d, `${where} manifests[${i}]`));
    return { kind: 'index', mediaType, manifests, subject, artifactType, annotations };
  }
  if (isImageManifestType(mediaType)) {
    const config = parseDescriptor(doc.config, `${where} config`);
    const layers = Array.isArray(doc.layers) ? doc.layers.map((d, i) => parseDescriptor(d, `${where} layers[${i}]`)) : [];
    return { kind: 'image', mediaType, config, layers, subject, artifactType, annotations };
  }
  throw new RegtopoError('E_MANIFEST_UNSUPPORTED', `${where}: unsupported manifest media type "${mediaType}"`);
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

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (value === null || typeof value !== 'object') throw new RegtopoError('E_MANIFEST_INVALID', `${where}: descriptor is not an object`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string') throw new RegtopoError('E_MANIFEST_INVALID', `${where}: descriptor has no mediaType`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new RegtopoError('E_MANIFEST_INVALID', `${where}: descriptor size is not a non-negative integer`);
  }
  assertDigest(d.digest, `${where} digest`);
  return d as unknown as Descriptor;
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
