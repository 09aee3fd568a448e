/**
 * The innermost Send: one HTTP exchange on an undici dispatcher. Chooses the dispatcher per origin
 * (so a host with its own CA gets its own pool) and resolves replayable bodies for this attempt.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { flattenHeaders, type HttpRequest, type Send } from './http-types.js';
import { toNetworkError } from './network-error.js';
import { undiciRequest } from './undici-parts.js';
import { redactUrl } from './redact.js';
import { interruptedError, throwIfAborted } from './abort.js';

/**
 * Resolves after the I/O callbacks of this loop turn. undici returns a connection to its pool in a
 * callback that runs after the response body's end reached us, so a request sent right after the
 * previous one ended finds every connection busy and opens a new one: one more TCP handshake (and TLS)
 * on most chains of two requests, a round trip each across a WAN (bench: 2 connections to the source
 * for a HEAD then GET, 16 to the target for a promotion's 9 mounts). Waiting one turn lets the
 * finished connection take the request.
 */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export type DispatcherFor = (origin: URL) => Dispatcher;

export function dispatchSend(dispatcherFor: DispatcherFor, timeouts: { headersMs: number; bodyMs: number }): Send {
  return async (req: HttpRequest) => {
    throwIfAborted(req.signal);
    const url = new URL(req.url);
    let body: Buffer | Uint8Array | string | Readable | undefined;
    if (typeof req.body === 'function') body = await req.body();
    else body = req.body;
    await nextTurn();
    throwIfAborted(req.signal);
    try {
      const res = await undiciRequest.call(dispatcherFor(url), {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers: req.headers,
        body,
        // undici closes the connection after every HEAD unless told otherwise (a guard for servers
        // that send HEAD bodies). Registries don't, and copies are mostly HEADs: keep the socket.
        reset: false,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.bodyMs,
        // Also tears down the response body if the signal fires while it streams.
        signal: req.signal,
      });
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body: res.body, url: req.url };
    } catch (err) {
      if (body && typeof body === 'object' && 'destroy' in body) (body as Readable).destroy();
      if (req.signal?.aborted) throw interruptedError(err);
      // A body stream that failed its own verification is the real error, not the socket it broke.
      const bodyError = (err as { cause?: unknown }).cause;
      if (bodyError && (bodyError as { code?: string }).code?.startsWith?.('E_')) throw bodyError;
      throw toNetworkError(err, `${req.method} ${redactUrl(req.url)}`);
    }
  };
}
