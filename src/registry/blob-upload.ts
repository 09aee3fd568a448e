/**
 * Blob push (distribution-spec "pushing blobs"): cross-repository mount when the source is on the
 * same registry, otherwise POST for an upload session and one monolithic streamed PUT with the digest.
 * A failed attempt cancels its session and starts over with a freshly opened source stream.
 */
import type { Readable } from 'node:stream';
import { RegtopoError } from '../errors.js';
import { discard, type HttpRequest, type HttpResponse } from '../transport/http-types.js';
import { backoff, DEFAULT_RETRY } from '../transport/retry.js';
import type { Descriptor } from './descriptor.js';
import type { RegistryRepository } from './registry-repository.js';
import { responseError } from './response-error.js';

export interface UploadOptions {
  /** A repository on the same registry that holds the blob: try a cross-repository mount first. */
  mountFrom?: string;
  /** Called with 'mounted' or 'uploaded' (for progress and benchmarks). */
  onDone?: (how: 'mounted' | 'uploaded') => void;
}

export async function uploadBlob(repo: RegistryRepository, desc: Descriptor, open: () => Promise<Readable>, options: UploadOptions): Promise<void> {
  let session: string | undefined;
  if (options.mountFrom && options.mountFrom !== repo.repository) {
    const query = `?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(options.mountFrom)}`;
    // The mount needs pull on the source too; without it the registry answers 401 and we upload.
    const { res } = await repo.call('POST', `blobs/uploads/${query}`, { scopes: [repo.pushScope(), `repository:${options.mountFrom}:pull`] });
    await discard(res);
    if (res.status === 201) {
      options.onDone?.('mounted');
      return;
    }
    if (res.status === 202 && res.headers.location) session = res.headers.location;
  }

  const attempts = DEFAULT_RETRY.attempts;
  for (let attempt = 1; ; attempt++) {
    try {
      // Open the source while the target creates its session: one round trip less per blob,
      // which is most of the cost when blobs are small.
      const [started, opened] = await Promise.allSettled([session ?? startSession(repo), open()]);
      if (started.status === 'fulfilled') session = started.value;
      if (started.status === 'rejected' || opened.status === 'rejected') {
        if (opened.status === 'fulfilled') opened.value.destroy();
        throw started.status === 'rejected' ? started.reason : (opened as PromiseRejectedResult).reason;
      }
      await putContent(repo, session!, desc, opened.value);
      options.onDone?.('uploaded');
      return;
    } catch (err) {
      if (session) await cancelSession(repo, session);
      session = undefined;
      const retryable = (err as { retryable?: boolean }).retryable === true;
      if (!retryable || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, backoff(DEFAULT_RETRY, attempt)));
    }
  }
}

async function startSession(repo: RegistryRepository): Promise<string> {
  const { req, res } = await repo.call('POST', 'blobs/uploads/');
  if (res.status !== 202) throw await responseError(req, res, `start upload to ${repo.description}`);
  await discard(res);
  const location = res.headers.location;
  if (!location) throw new RegtopoError('E_REGISTRY', `start upload to ${repo.description}: 202 without a Location header`);
  return location;
}

async function putContent(repo: RegistryRepository, location: string, desc: Descriptor, stream: Readable): Promise<void> {
  const req = sessionRequest(repo, location, 'PUT', `digest=${encodeURIComponent(desc.digest)}`);
  req.headers = { ...req.headers, 'content-type': 'application/octet-stream', 'content-length': String(desc.size) };
  req.body = () => stream;
  req.idempotent = false;
  let res: HttpResponse;
  try {
    res = await repo.client.send(req);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  if (res.status !== 201) {
    // The source download must not stay open; on success it was read to the end, and destroying
    // it then would cost its keep-alive connection.
    stream.destroy();
    throw await responseError(req, res, `upload ${desc.digest} to ${repo.description}`);
  }
  await discard(res);
}

async function cancelSession(repo: RegistryRepository, location: string): Promise<void> {
  try {
    await discard(await repo.client.send(sessionRequest(repo, location, 'DELETE')));
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
    headers: { 'user-agent': 'regtopo' },
    scopes: [repo.pushScope()],
    authHost: sameOrigin ? repo.registry : undefined,
  };
}
