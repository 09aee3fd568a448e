/**
 * What a reference points at: digest, media type, size, platforms of an index, a summary of an image's
 * config, and the artifacts that refer to it (statuses, signatures, SBOMs).
 */
import type { Readable } from 'node:stream';
import { RegtopoError } from '../errors.js';
import { formatLocation, parseLocation, type Location } from '../ref/location.js';
import { formatPlatform, parseManifest, type Descriptor, type ImageManifest, type RawManifest } from '../registry/descriptor.js';
import type { ImageStore } from '../registry/image-store.js';
import { schema1Unsupported } from '../registry/manifest-validation.js';
import { isSchema1Type, MediaType } from '../registry/media-types.js';
import { listReferrers } from '../registry/referrers.js';
import { RegistryClient } from '../registry/registry-client.js';
import { RegistryRepository } from '../registry/registry-repository.js';
import { openStore, referenceOf } from './open-store.js';
import { referrerKind, referrerTree, sideOf, type ReferrerKind, type ReferrerTreeEntry } from './referrers/index.js';
import { abortedOr, throwIfAborted } from '../transport/abort.js';

export interface InspectOptions {
  client?: RegistryClient;
  /** Skip the referrers lookup (one or two extra requests). */
  referrers?: boolean;
  /**
   * Also walk the whole referrer tree (ops/referrers/): cosign tags, referrers of referrers, and
   * those of each child of an index. A tag list and two requests per digest in it; off by default.
   */
  referrerTree?: boolean;
  /** Stops the lookup when it fires (E_INTERRUPTED). */
  signal?: AbortSignal;
}

export interface ConfigSummary {
  digest: string;
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  labels: Record<string, string>;
}

export interface InspectResult {
  reference: string;
  digest: string;
  mediaType: string;
  size: number;
  kind: 'index' | 'image';
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  platforms?: Array<{ platform: string; digest: string; mediaType: string; size: number }>;
  config?: ConfigSummary;
  layers?: { count: number; bytes: number };
  /** Direct referrers as the API or fallback tag lists them, with a kind told from their artifactType. */
  referrers: Array<Descriptor & { kind: ReferrerKind }>;
  /** With `referrerTree`: every referrer, nested under what it refers to (children of an index at the top level too). */
  referrerTree?: ReferrerTreeEntry[];
  /** What the tree walk skipped and why (subject mismatches, invalid or oversized lists, bounds). */
  referrerWarnings?: string[];
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.OciConfig, MediaType.DockerConfig]);

export async function inspect(reference: string | Location, options: InspectOptions = {}): Promise<InspectResult> {
  const loc = typeof reference === 'string' ? parseLocation(reference) : reference;
  throwIfAborted(options.signal);
  const client = options.client ?? new RegistryClient();
  try {
    const store = await openStore(loc, client, 'read', { signal: options.signal });
    const raw = await getManifest(store, referenceOf(loc), formatLocation(loc));
    const parsed = parseManifest(raw, formatLocation(loc));
    const result: InspectResult = {
      reference: formatLocation(loc), digest: raw.digest, mediaType: parsed.mediaType, size: raw.bytes.length,
      kind: parsed.kind, artifactType: parsed.artifactType, subject: parsed.subject, annotations: parsed.annotations, referrers: [],
    };
    if (parsed.kind === 'index') {
      result.platforms = parsed.manifests.map((d) => ({ platform: formatPlatform(d.platform), digest: d.digest, mediaType: d.mediaType, size: d.size }));
    } else {
      result.layers = { count: parsed.layers.length, bytes: parsed.layers.reduce((n, l) => n + l.size, 0) };
      if (IMAGE_CONFIG_TYPES.has(parsed.config.mediaType)) result.config = await readConfig(store, parsed);
    }
    if (options.referrers !== false && store instanceof RegistryRepository) {
      result.referrers = (await listReferrers(store, raw.digest)).referrers.map((d) => ({ ...d, kind: referrerKind({ artifactType: d.artifactType, mediaType: d.mediaType }) }));
    }
    if (options.referrerTree) {
      const side = await sideOf(loc, client, 'read', options.signal);
      const subjects = [raw.digest, ...(parsed.kind === 'index' ? [...new Set(parsed.manifests.map((d) => d.digest))] : [])];
      const warnings: string[] = [];
      result.referrerTree = await referrerTree(side, subjects, { warn: (m) => warnings.push(m), signal: options.signal, recordTags: true });
      result.referrerWarnings = warnings;
    }
    return result;
  } catch (err) {
    throw abortedOr(err, options.signal);
  } finally {
    if (!options.client) await client.close();
  }
}

/**
 * A registry re-signs a schema 1 manifest on every read, so it never matches its digest: when the
 * read fails so, the HEAD says whether that is why, and the message says what it really is.
 */
async function getManifest(store: ImageStore, reference: string, where: string): Promise<RawManifest> {
  try {
    return await store.getManifest(reference);
  } catch (err) {
    if (!(err instanceof RegtopoError) || err.code !== 'E_DIGEST_MISMATCH') throw err;
    const head = await store.headManifest(reference).catch(() => undefined);
    if (head && isSchema1Type(head.mediaType)) throw schema1Unsupported(where);
    throw err;
  }
}

async function readConfig(store: ImageStore, manifest: ImageManifest): Promise<ConfigSummary> {
  const desc = manifest.config;
  if (desc.size > MAX_CONFIG_BYTES) throw new RegtopoError('E_CONTENT_INVALID', `config ${desc.digest} is ${desc.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
  const bytes = await readAll(await store.openBlob(desc));
  let doc: { os?: string; architecture?: string; variant?: string; created?: string; config?: { Labels?: Record<string, string> | null } };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw new RegtopoError('E_CONTENT_INVALID', `config ${desc.digest} is not valid JSON`);
  }
  return { digest: desc.digest, os: doc.os, architecture: doc.architecture, variant: doc.variant, created: doc.created, labels: doc.config?.Labels ?? {} };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
