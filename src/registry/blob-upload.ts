/**
 * Blob push (distribution-spec "pushing blobs"): cross-repository mount from the candidate
 * repositories the caller names (in order, each once), otherwise POST for an upload session and one
 * monolithic streamed PUT with the digest. A refused mount answers 202 with an upload session: the
 * last one is used for the upload, earlier ones are cancelled.
 *
 * The upload is one operation with one attempt budget (the client's retry options): a failed try
 * cancels its session and the next one starts a new session with a freshly opened source. Its
 * requests are marked `callerRetries` so the retry layer does not retry them a second time. A
 * session the registry no longer knows (404 BLOB_UPLOAD_UNKNOWN / BLOB_UPLOAD_INVALID: a restarted
 * registry, a load balancer without shared upload state) is retried at once in a new session. An
 * aborted upload cancels its session (DELETE) before the error surfaces.
 */
import type { Readable } from 'node:stream';
import { RegistryError, RegtopoError } from '../errors.js';
import { abortedOr } from '../transport/abort.js';
import { discard, type HttpRequest, type HttpResponse } from '../transport/http-types.js';
import { withRetry, withRetryAfter, type RetryDecision } from '../transport/retry.js';
import type { Descriptor } from './descriptor.js';
import type { RegistryRepository } from './registry-repository.js';
import { assertBlobLength } from './verify-stream.js';
import { responseError } from './response-error.js';

export interface UploadOptions {
  /** Repositories on the same registry that may hold the blob: cross-repository mounts are tried first, in order. */
  mountFrom?: string | readonly string[];
  /**
   * Called with 'mounted' (and the repository it came from) or 'uploaded' (for progress and
   * benchmarks). `sizeChecked`: the mounted blob's length was checked against the descriptor.
   */
  onDone?: (how: 'mounted' | 'uploaded', from?: string, sizeChecked?: boolean) => void;
  /**
   * HEAD each candidate's copy of the blob alongside its mount, to check its length against the
   * descriptor (a mount is by digest alone) without a round trip after it. A refused mount wastes
   * its HEAD; leave it off when the caller knows the length already.
   */
  checkSizeAlongside?: boolean;
  /** Runs the upload (after refused mounts); the caller's transfer concurrency limit. Default: at once. */
  uploadSlot?: <T>(upload: () => Promise<T>) => Promise<T>;
  /** Called for each candidate the registry refused to mount from: it does not hold the blob (or we may not pull it). */
  onMountRefused?: (from: string) => void;
}

// Cancelling is a courtesy (registries purge abandoned sessions): after an interruption it must not
// hold up the exit for long.
const CANCEL_TIMEOUT_MS = 1_000;

const STALE_SESSION_CODES = ['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID'];

export async function uploadBlob(repo: RegistryRepository, desc: Descriptor, open: () => Promise<Readable>, options: UploadOptions): Promise<void> {
  const candidates = [...new Set(typeof options.mountFrom === 'string' ? [options.mountFrom] : options.mountFrom ?? [])].filter((r) => r !== repo.repository);
  let session: string | undefined;
  for (const from of candidates) {
    if (session) await cancelSession(repo, session);
    const [tried, length] = await Promise.all([
      tryMount(repo, desc, from),
      options.checkSizeAlongside ? holderLength(repo, desc, from) : undefined,
    ]);
    if (tried === 'mounted') {
      if (length !== undefined) assertBlobLength(length, desc, `blob ${desc.digest} mounted from ${repo.registry}/${from}`);
      options.onDone?.('mounted', from, length !== undefined);
      return;
    }
    options.onMountRefused?.(from);
    session = tried;
  }
  const slot = options.uploadSlot ?? ((upload) => upload());
  await slot(() => withRetry(repo.client.retry, async () => {
    const reused = session;
    session = undefined;
    let location: string | undefined;
    try {
      // Open the source while the target creates its session: one round trip less per blob,
      // which is most of the cost when blobs are small.
      const [started, opened] = await Promise.allSettled([reused ?? startSession(repo), open()]);
      if (started.status === 'fulfilled') location = started.value;
      if (started.status === 'rejected' || opened.status === 'rejected') {
        if (opened.status === 'fulfilled') opened.value.destroy();
        throw started.status === 'rejected' ? started.reason : (opened as PromiseRejectedResult).reason;
      }
      await putContent(repo, location!, desc, opened.value, open);
    } catch (err) {
      if (location && !isStaleSession(err)) await cancelSession(repo, location);
      throw abortedOr(err, repo.signal);
    }
  }, { signal: repo.signal, retryError: staleSessionDecision }));
  options.onDone?.('uploaded');
}

/** 'mounted', the session a refused mount opened (202), or undefined (upload from scratch). */
async function tryMount(repo: RegistryRepository, desc: Descriptor, from: string): Promise<'mounted' | string | undefined> {
  const query = `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`;
  let res: HttpResponse;
  try {
    // The mount needs pull on the source too; without it the registry answers 401 and we upload.
    // One try: any failure falls back to the upload, which has the retry budget.
    ({ res } = await repo.call('POST', `blobs/uploads/${query}`, { scopes: repo.mountScopes(from), callerRetries: true }));
  } catch (err) {
    if ((err as { retryable?: boolean }).retryable === true && !repo.signal?.aborted) return undefined;
    throw err;
  }
  await discard(res);
  if (res.status === 201) return 'mounted';
  return res.status === 202 && res.headers.location ? res.headers.location : undefined;
}

/**
 * The Content-Length of `from`'s copy of the blob, asked with the mount's own scopes (so a token
 * registry hands out no second token); undefined when it can't tell (absent, no length, a failure):
 * the caller then checks the mounted blob itself.
 */
async function holderLength(repo: RegistryRepository, desc: Descriptor, from: string): Promise<string | undefined> {
  const res = await repo.headBeforeMount(from, `blobs/${desc.digest}`);
  const length = res?.headers['content-length'];
  return res?.status === 200 && length !== undefined && /^\d+$/.test(length) ? length : undefined;
}

function isStaleSession(err: unknown): boolean {
  return err instanceof RegistryError && err.status === 404 && STALE_SESSION_CODES.some((c) => err.hasSpecCode(c));
}

function staleSessionDecision(err: unknown): RetryDecision | undefined {
  // Nothing to wait for: the registry forgot the session, a new one works at once.
  return isStaleSession(err) ? { reason: 'upload session unknown to the registry', delayMs: 0 } : undefined;
}

async function startSession(repo: RegistryRepository): Promise<string> {
  const { req, res } = await repo.call('POST', 'blobs/uploads/', { callerRetries: true });
  if (res.status !== 202) throw withRetryAfter(await responseError(req, res, `start upload to ${repo.description}`), res);
  await discard(res);
  const location = res.headers.location;
  if (!location) throw new RegtopoError('E_REGISTRY', `start upload to ${repo.description}: 202 without a Location header`);
  return location;
}

async function putContent(repo: RegistryRepository, location: string, desc: Descriptor, first: Readable, reopen: () => Promise<Readable>): Promise<void> {
  const req = sessionRequest(repo, location, 'PUT', `digest=${encodeURIComponent(desc.digest)}`);
  req.headers = { ...req.headers, 'content-type': 'application/octet-stream', 'content-length': String(desc.size) };
  const body = freshBody(first, reopen);
  req.body = body.open;
  req.idempotent = false;
  let res: HttpResponse;
  try {
    res = await repo.client.send(req);
  } catch (err) {
    body.destroy();
    throw err;
  }
  if (res.status !== 201) {
    // The source download must not stay open; on success it was read to the end, and destroying
    // it then would cost its keep-alive connection.
    body.destroy();
    throw withRetryAfter(await responseError(req, res, `upload ${desc.digest} to ${repo.description}`), res);
  }
  await discard(res);
}

/**
 * The PUT's body factory. The first call gets the stream opened alongside the session; any later
 * call (the auth layer re-sending after a 401 for an expired token) re-opens the source, because the
 * first stream has been consumed, at least in part, by the refused request.
 */
function freshBody(first: Readable, reopen: () => Promise<Readable>): { open: () => Promise<Readable>; destroy(): void } {
  let current: Readable | undefined;
  return {
    open: async () => {
      if (current === undefined) {
        current = first;
        return first;
      }
      current.destroy();
      current = await reopen();
      return current;
    },
    destroy: () => (current ?? first).destroy(),
  };
}

async function cancelSession(repo: RegistryRepository, location: string): Promise<void> {
  try {
    // Not the operation's signal: after an interruption, cancelling is exactly what is left to do.
    const req = { ...sessionRequest(repo, location, 'DELETE'), callerRetries: true, signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) };
    await discard(await repo.client.send(req));
  } catch {
    // Best effort: registries purge abandoned sessions themselves.
  }
}

/** The session URL may be relative or absolute and carries state in its query, which is kept as-is. */
function sessionRequest(repo: RegistryRepository, location: string, method: HttpRequest['method'], extraQuery?: string): HttpRequest {
  const base = new URL(repo.client.url(repo.registry, '/'));
  const absolute = new URL(location, base);
  let url = absolute.toString();
  if (extraQuery) url += `${absolute.search ? '&' : '?'}${extraQuery}`;
  const sameOrigin = absolute.origin === base.origin;
  return {
    method,
    url,
    headers: { 'user-agent': repo.client.userAgent },
    scopes: [repo.pushScope()],
    authHost: sameOrigin ? repo.registry : undefined,
    signal: repo.signal,
    callerRetries: true,
  };
}
