/**
 * The shape every transport layer speaks. A layer wraps a `Send`: auth, retry, redirects and logging
 * are each one small layer over an undici dispatcher the caller may inject (undici's dispatcher model,
 * kept at request level so a retry can re-open a streamed body).
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/**
 * A body that can be sent more than once: bytes, or a factory that re-opens its source each time it
 * is called. Layers may send one request more than once (auth answers a 401 and sends it again), so
 * a factory must never hand out a stream it handed out before.
 */
export type ReplayableBody = Buffer | Uint8Array | string | (() => Readable | Promise<Readable>);

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  body?: ReplayableBody;
  /** Token scopes this request needs (`repository:app:pull`), for Bearer auth. */
  scopes?: string[];
  /** Registry host (canonical) whose credentials apply; requests elsewhere get none. */
  authHost?: string;
  /** False for requests whose replay is unsafe (none today); defaults to true. */
  idempotent?: boolean;
  /**
   * The sender runs its own retry loop for this request (a blob upload must re-open its source and
   * its session first), so the retry layer sends it once: nested retries would multiply the budgets.
   */
  callerRetries?: boolean;
  /** Aborts the exchange (and any retry wait) when it fires; the error then has code E_INTERRUPTED. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that finally answered (after redirects). */
  url: string;
}

export type Send = (req: HttpRequest) => Promise<HttpResponse>;
export type Layer = (next: Send) => Send;

export function compose(base: Send, ...layers: Layer[]): Send {
  // layers[0] is outermost: compose(base, a, b) = a(b(base)).
  return layers.reduceRight((next, layer) => layer(next), base);
}

/** Header lookup that tolerates undici's string | string[] values. */
export function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Releases the connection without reading a body we do not need. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 64 * 1024 });
  } catch {
    res.body.destroy();
  }
}
