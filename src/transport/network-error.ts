/**
 * Turns socket and TLS failures into RegtopoErrors: certificate problems get a plain message and are
 * never retried; dropped connections are retryable.
 */
import { RegtopoError } from '../errors.js';

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

export class NetworkError extends RegtopoError {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, cause: unknown, tls = false) {
    super(tls ? 'E_TLS' : 'E_NETWORK', message, { cause });
    this.name = 'NetworkError';
    this.retryable = retryable;
  }
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `where` is a redacted "METHOD url" naming the request. */
export function toNetworkError(err: unknown, where: string): RegtopoError {
  if (err instanceof RegtopoError) return err;
  const code = errorCode(err) ?? 'UNKNOWN';
  const detail = err instanceof Error ? err.message : String(err);
  if (TLS_CODES.has(code)) {
    return new NetworkError(`${where}: TLS certificate not trusted (${code}); pass --ca-file with the registry's CA`, false, err, true);
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(detail)) {
    return new NetworkError(`${where}: TLS handshake failed (${code}); if the registry serves plain http, pass --plain-http or use an http:// URL`, false, err, true);
  }
  if (code === 'ENOTFOUND') return new NetworkError(`${where}: host not found`, false, err);
  return new NetworkError(`${where}: ${code === 'UNKNOWN' ? detail : `${code} ${detail}`}`, RETRYABLE_CODES.has(code) || code === 'UNKNOWN', err);
}
