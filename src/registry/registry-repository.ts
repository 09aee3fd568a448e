/**
 * One repository on one registry, as an ImageStore (distribution-spec: pull, push, content
 * discovery). Manifests are read capped and digest-verified and written byte-exact; blobs are streamed
 * through VerifyStream in both directions.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegtopoError } from '../errors.js';
import { digestOf, digestAlgorithm, isDigest } from '../ref/digest.js';
import { readBounded } from '../transport/bounded-body.js';
import { discard, type HttpRequest, type HttpResponse } from '../transport/http-types.js';
import type { RegistryClient } from './registry-client.js';
import { sniffMediaType, type Descriptor, type RawManifest } from './descriptor.js';
import type { ImageStore, ListTagsOptions, OpenBlobOptions } from './image-store.js';
import { isSchema1Type, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, MediaType } from './media-types.js';
import { schema1Unsupported } from './manifest-validation.js';
import { responseError } from './response-error.js';
import { manifestBlobRaceDecision } from './manifest-put-retry.js';
import { assertBlobLength, VerifyStream } from './verify-stream.js';
import { uploadBlob, type UploadOptions } from './blob-upload.js';
import { listAllTags } from './tag-list.js';
import { abortedOr, manyListenerSignal, throwIfAborted } from '../transport/abort.js';
import { withRetry, withRetryAfter } from '../transport/retry.js';
import { InFlight } from './in-flight.js';

export class RegistryRepository implements ImageStore {
  readonly client: RegistryClient;
  readonly registry: string;
  readonly repository: string;
  readonly description: string;
  /** Every request of this store carries it; when it fires, operations end with E_INTERRUPTED. */
  readonly signal: AbortSignal | undefined;
  private readonly writes = new InFlight();

  constructor(client: RegistryClient, registry: string, repository: string, options: { signal?: AbortSignal } = {}) {
    this.client = client;
    this.registry = registry;
    this.repository = repository;
    this.description = `${registry}/${repository}`;
    this.signal = manyListenerSignal(options.signal);
  }

  pullScope(): string {
    return `repository:${this.repository}:pull`;
  }

  pushScope(): string {
    return `repository:${this.repository}:pull,push`;
  }

  /**
   * Sends `METHOD /v2/<repo>/<suffix>` with this repository's auth scope. Internal: the building block
   * of this class and of registry/ (tags, uploads, referrers); not part of the public API, and left
   * out of the published typings (`stripInternal`).
   * @internal
   */
  async call(method: HttpRequest['method'], suffix: string, init: Partial<HttpRequest> = {}): Promise<{ req: HttpRequest; res: HttpResponse }> {
    const write = method === 'PUT' || method === 'POST' || method === 'PATCH' || method === 'DELETE';
    const path = suffix.startsWith('/') ? suffix : `/v2/${this.repository}/${suffix}`;
    throwIfAborted(this.signal);
    const req = { method, path, scopes: [write ? this.pushScope() : this.pullScope()], signal: this.signal, ...init } as HttpRequest & { path: string };
    const res = await this.client.request(this.registry, req);
    return { req: { ...req, url: this.client.url(this.registry, path) }, res };
  }

  async headManifest(reference: string): Promise<Descriptor | undefined> {
    const { req, res } = await this.call('HEAD', `manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    await discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await responseError(req, res, `manifest ${reference} of ${this.description}`);
    const digest = res.headers['docker-content-digest'];
    const mediaType = baseMediaType(res.headers['content-type']);
    const size = Number(res.headers['content-length']);
    if (digest && isDigest(digest) && mediaType && Number.isFinite(size)) return { mediaType, digest, size };
    // Without a digest header the only trustworthy answer is the content itself.
    const raw = await this.getManifest(reference);
    return { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length };
  }

  async getManifest(reference: string): Promise<RawManifest> {
    const what = `manifest ${reference} of ${this.description}`;
    const { req, res } = await this.call('GET', `manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) throw await responseError(req, res, `${what} not found`, 'E_NOT_FOUND');
    if (res.status !== 200) throw await responseError(req, res, what);
    const bytes = await readBounded(res.body, MAX_MANIFEST_BYTES, what, { code: 'E_MANIFEST_TOO_LARGE', declaredLength: res.headers['content-length'] });
    const headerDigest = res.headers['docker-content-digest'];
    const expected = isDigest(reference) ? reference : headerDigest && isDigest(headerDigest) ? headerDigest : undefined;
    const digest = digestOf(bytes, expected ? digestAlgorithm(expected) : 'sha256');
    let mediaType = baseMediaType(res.headers['content-type']);
    if (expected && digest !== expected) {
      // A signed schema 1 manifest never hashes to its digest (the registry digests the payload
      // without the JWS signatures, which change on every read): say what it is, not "corrupt".
      if (isSchema1Type(mediaType ?? '') || sniffMediaType(bytes) === MediaType.DockerSchema1) throw schema1Unsupported(what);
      throw new RegtopoError('E_DIGEST_MISMATCH', `${what}: content hashes to ${digest}, expected ${expected}`);
    }
    if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') mediaType = sniffMediaType(bytes);
    if (!mediaType) throw new RegtopoError('E_MANIFEST_INVALID', `${what}: no media type in header or document`);
    return { bytes, mediaType, digest };
  }

  /**
   * Stores the bytes unchanged. One attempt budget covers transient failures and a transient
   * MANIFEST_BLOB_UNKNOWN (see manifest-put-retry.ts), so the retry layer is told to stay out.
   */
  putManifest(reference: string, manifest: RawManifest): Promise<void> {
    return this.writes.track(withRetry(this.client.retry, () => this.putManifestOnce(reference, manifest), { signal: this.signal, retryError: manifestBlobRaceDecision }));
  }

  private async putManifestOnce(reference: string, manifest: RawManifest): Promise<void> {
    const { req, res } = await this.call('PUT', `manifests/${reference}`, {
      headers: { 'content-type': manifest.mediaType },
      body: Buffer.from(manifest.bytes.buffer, manifest.bytes.byteOffset, manifest.bytes.byteLength),
      callerRetries: true,
    });
    if (res.status !== 201 && res.status !== 200) throw withRetryAfter(await responseError(req, res, `push manifest ${reference} to ${this.description}`), res);
    await discard(res);
    const stored = res.headers['docker-content-digest'];
    if (stored && isDigest(stored) && digestAlgorithm(stored) === digestAlgorithm(manifest.digest) && stored !== manifest.digest) {
      throw new RegtopoError('E_DIGEST_MISMATCH', `push manifest ${reference} to ${this.description}: registry stored ${stored}, expected ${manifest.digest}`);
    }
  }

  async deleteManifest(digest: string): Promise<void> {
    const { req, res } = await this.call('DELETE', `manifests/${digest}`);
    if (res.status !== 202 && res.status !== 200 && res.status !== 404) throw await responseError(req, res, `delete ${digest} from ${this.description}`);
    await discard(res);
  }

  /**
   * A present blob's length is checked against the descriptor: the digest fixes the content, so a
   * different Content-Length means the descriptor lies, and publishing it would break every pull.
   */
  async hasBlob(desc: Descriptor): Promise<boolean> {
    const { req, res } = await this.call('HEAD', `blobs/${desc.digest}`);
    await discard(res);
    if (res.status === 404) return false;
    if (res.status !== 200) throw await responseError(req, res, `blob ${desc.digest} of ${this.description}`);
    assertBlobLength(res.headers['content-length'], desc, `blob ${desc.digest} of ${this.description}`);
    return true;
  }

  /**
   * The scopes a cross-repository mount from `from` into this repository needs: one token serves the
   * mount and the HEADs about `from` before it. Internal, like call().
   * @internal
   */
  mountScopes(from: string): string[] {
    return [this.pushScope(), `repository:${from}:pull`];
  }

  /**
   * `HEAD /v2/<from>/<suffix>` in repository `from` of this registry, asked with the mount's scopes:
   * a hint before mounting from it, so one try, and any failure but an abort answers undefined.
   * Internal, like call().
   * @internal
   */
  async headBeforeMount(from: string, suffix: string, headers?: Record<string, string>): Promise<HttpResponse | undefined> {
    try {
      const { res } = await this.call('HEAD', `/v2/${from}/${suffix}`, { ...(headers && { headers }), scopes: this.mountScopes(from), callerRetries: true });
      await discard(res);
      return res;
    } catch (err) {
      if (this.signal?.aborted) throw abortedOr(err, this.signal);
      return undefined;
    }
  }

  /** Whether repository `from` of this registry holds manifest `digest` (see headBeforeMount). */
  async holdsManifestIn(from: string, digest: string): Promise<boolean> {
    const res = await this.headBeforeMount(from, `manifests/${digest}`, { accept: MANIFEST_ACCEPT });
    return res?.status === 200 && res.headers['docker-content-digest'] === digest;
  }

  async openBlob(desc: Descriptor, options: OpenBlobOptions = {}): Promise<Readable> {
    const what = `blob ${desc.digest} of ${this.description}`;
    const { req, res } = await this.call('GET', `blobs/${desc.digest}`);
    if (res.status === 404) throw await responseError(req, res, `${what} not found`, 'E_NOT_FOUND');
    if (res.status !== 200) throw await responseError(req, res, what);
    const verify = new VerifyStream(desc, what, options.onBytes);
    // pipeline destroys `verify` with the body's error, so a dropped download fails the consumer too.
    pipeline(res.body, verify).catch(() => undefined);
    return verify;
  }

  putBlob(desc: Descriptor, open: () => Promise<Readable>, options: UploadOptions = {}): Promise<void> {
    return this.writes.track(uploadBlob(this, desc, open, options));
  }

  settled(): Promise<void> {
    return this.writes.settled();
  }

  listTags(options?: ListTagsOptions): Promise<string[]> {
    return listAllTags(this, options);
  }

  preconnect(count: number): void {
    this.client.preconnect(this.registry, count);
  }

  /**
   * True only when the registry says the repository does not exist (tag list → 404 NAME_UNKNOWN), so
   * no blob is linked into it and blob existence HEADs can be skipped. A hint, not proof: Distribution
   * answers so until the repository's first tag, even after pushes by digest, which costs at most a
   * redundant upload. Any other answer, or a failure, is false. `n=1` keeps the answer small.
   */
  async isUnknown(): Promise<boolean> {
    try {
      const { req, res } = await this.call('GET', 'tags/list?n=1');
      if (res.status !== 404) {
        await discard(res);
        return false;
      }
      const err = await responseError(req, res);
      return err.specErrors.some((e) => e.code === 'NAME_UNKNOWN');
    } catch {
      return false;
    }
  }

  /** Opens an upload session and cancels it: proves push rights without writing content. */
  async probeUpload(): Promise<{ allowed: boolean; status: number }> {
    const { res } = await this.call('POST', 'blobs/uploads/');
    await discard(res);
    if (res.status !== 202) return { allowed: false, status: res.status };
    const location = res.headers.location;
    if (location) {
      const url = new URL(location, this.client.url(this.registry, '/'));
      const cancel = await this.client.request(this.registry, { method: 'DELETE', path: `${url.pathname}${url.search}`, scopes: [this.pushScope()] });
      await discard(cancel);
    }
    return { allowed: true, status: res.status };
  }
}

function baseMediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim() || undefined;
}

