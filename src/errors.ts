/**
 * One error hierarchy for the whole library. Callers branch on `code` (stable strings, part of the
 * public API); only the CLI entry maps codes to exit codes. Messages never carry credentials:
 * URLs are redacted before they are stored here.
 */

export type ErrorCode =
  | 'E_USAGE' // bad flags or arguments
  | 'E_REF_INVALID' // a reference, digest or repository name that does not parse
  | 'E_CONFIG' // credentials / docker config / topology file problems
  | 'E_TOPOLOGY_INVALID'
  | 'E_POLICY' // a write the topology forbids
  | 'E_NOT_FOUND' // manifest, blob or tag absent
  | 'E_UNAUTHORIZED' // credentials missing or refused
  | 'E_DENIED' // authenticated, but not allowed
  | 'E_DIGEST_MISMATCH' // bytes do not hash to the digest they were asked for
  | 'E_SIZE_MISMATCH'
  | 'E_MANIFEST_UNSUPPORTED' // schema1 or an unknown media type
  | 'E_MANIFEST_TOO_LARGE'
  | 'E_MANIFEST_INVALID'
  | 'E_CONTENT_INVALID' // a manifest, index or descriptor read from a source is malformed or self-contradictory
  | 'E_TLS' // certificate not trusted / wrong host
  | 'E_NETWORK' // connection refused, reset, timeout after retries
  | 'E_RATE_LIMITED' // 429 after retries
  | 'E_REGISTRY' // any other registry error response
  | 'E_GATE_FAILED' // promotion: a required status is missing or has a disallowed value
  | 'E_APPROVAL_PENDING' // promotion: the stage needs an approval that has not been given
  | 'E_APPROVAL_REJECTED' // promotion: the approval hook or a release manager said no
  | 'E_RATE_RESERVE' // mirroring: continuing would cross the configured rate-limit reserve
  | 'E_LOCKED' // another run holds the lock
  | 'E_PARTIAL' // some items of a multi-item run failed; the report says which
  | 'E_CONFLICT' // another writer won a race for the same tag (immutable tags, claims)
  | 'E_INTERRUPTED' // cancelled through an AbortSignal (Ctrl-C, SIGTERM)
  | 'E_REPLICATION_INCOMPLETE' // promoted, but at least one replica did not converge
  | 'E_INTERNAL';

export class RegtopoError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegtopoError';
    this.code = code;
  }
}

/** An error code from the distribution spec's error body, e.g. MANIFEST_UNKNOWN. */
export interface SpecError {
  code: string;
  message?: string;
}

export interface RegistryErrorInit {
  status: number;
  method: string;
  /** Already redacted: no userinfo, no token-bearing query parameters. */
  url: string;
  specErrors?: SpecError[];
  retryable?: boolean;
  code?: ErrorCode;
  detail?: string;
}

/** A registry answered with an error status. */
export class RegistryError extends RegtopoError {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly specErrors: SpecError[];
  readonly retryable: boolean;

  constructor(init: RegistryErrorInit) {
    const specErrors = init.specErrors ?? [];
    const code = init.code ?? codeForStatus(init.status, specErrors);
    const spec = specErrors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ');
    const extra = [spec, init.detail].filter(Boolean).join(' - ');
    super(code, `${init.method} ${init.url}: ${init.status}${extra ? ` ${extra}` : ''}`);
    this.name = 'RegistryError';
    this.status = init.status;
    this.method = init.method;
    this.url = init.url;
    this.specErrors = specErrors;
    this.retryable = init.retryable ?? isRetryableStatus(init.status);
  }

  hasSpecCode(code: string): boolean {
    return this.specErrors.some((e) => e.code === code);
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

function codeForStatus(status: number, specErrors: SpecError[]): ErrorCode {
  const codes = new Set(specErrors.map((e) => e.code));
  if (codes.has('MANIFEST_INVALID') || codes.has('MANIFEST_BLOB_UNKNOWN')) return 'E_MANIFEST_INVALID';
  if (codes.has('DIGEST_INVALID')) return 'E_DIGEST_MISMATCH';
  if (status === 401) return 'E_UNAUTHORIZED';
  if (status === 403) return 'E_DENIED';
  if (status === 404) return 'E_NOT_FOUND';
  if (status === 429) return 'E_RATE_LIMITED';
  return 'E_REGISTRY';
}

export function isRegtopoError(err: unknown): err is RegtopoError {
  return err instanceof RegtopoError;
}

/** `{code, message}` of any thrown value, for reports that list failures without stopping. */
export function errorSummary(err: unknown): { code: ErrorCode; message: string } {
  if (isRegtopoError(err)) return { code: err.code, message: err.message };
  return { code: 'E_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
