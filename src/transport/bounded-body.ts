/**
 * The one way to read a whole response body: with a byte cap, so a hostile or broken server cannot
 * grow our memory without bound. Every body read from the network goes through here (manifests, token
 * responses, tag-list and referrer pages, error bodies, hook responses); blobs are streamed instead.
 */
import { RegtopoError, type ErrorCode } from '../errors.js';

/** Caps per kind of body, each with its reason. */
export const BODY_LIMITS = {
  /** A token response is a few KiB of JSON; 1 MiB leaves room for fat JWTs and nothing more. */
  token: 1 << 20,
  /** 1000 tags of 128 characters are ~130 KiB; a referrers page of 1000 descriptors ~1 MiB. */
  listPage: 4 << 20,
  /** Error bodies are read only for their spec error codes; HTML error pages get cut. */
  error: 64 << 10,
  /** A webhook's decision is a small JSON document. */
  hook: 1 << 20,
  /** A status, approval or promotion record's JSON payload: a few KiB; 1 MiB bounds a forged one. */
  record: 1 << 20,
} as const;

/** What readBounded needs of a body: undici's BodyReadable and any Node Readable qualify. */
export interface ReadableBody extends AsyncIterable<Uint8Array | string> {
  destroy(error?: Error): unknown;
}

export interface BoundedReadOptions {
  /** Error code when the cap is exceeded (default E_REGISTRY). */
  code?: ErrorCode;
  /** Return what was read up to the cap instead of failing (error bodies). */
  truncate?: boolean;
  /** Content-Length as the server declared it: a larger one fails before reading anything. */
  declaredLength?: string | number;
}

export async function readBounded(body: ReadableBody, limit: number, what: string, options: BoundedReadOptions = {}): Promise<Buffer> {
  const declared = Number(options.declaredLength);
  if (!options.truncate && options.declaredLength !== undefined && Number.isFinite(declared) && declared > limit) {
    body.destroy();
    throw tooLarge(what, limit, options.code);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = false;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (size + buf.length > limit) {
        if (options.truncate) {
          chunks.push(buf.subarray(0, limit - size));
          size = limit;
          break;
        }
        throw tooLarge(what, limit, options.code);
      }
      size += buf.length;
      chunks.push(buf);
    }
    complete = size < limit || !options.truncate;
  } finally {
    // Stops the transfer of whatever the server still wanted to send; a body read to its end is left
    // alone so its keep-alive connection goes back to the pool.
    if (!complete) body.destroy();
  }
  return Buffer.concat(chunks, size);
}

/** A capped read parsed as JSON; a body that is not JSON is an E_REGISTRY (or `code`) error. */
export async function readJsonBounded<T = unknown>(body: ReadableBody, limit: number, what: string, options: BoundedReadOptions = {}): Promise<T> {
  const bytes = await readBounded(body, limit, what, options);
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new RegtopoError(options.code ?? 'E_REGISTRY', `${what}: response is not JSON`);
  }
}

function tooLarge(what: string, limit: number, code: ErrorCode = 'E_REGISTRY'): RegtopoError {
  return new RegtopoError(code, `${what}: response exceeds the ${limit}-byte limit`);
}
