/**
 * Builds a RegistryError from an error response: status, method, redacted URL and the spec's error
 * codes from the JSON body (distribution-spec "error codes"). The body is read with a small cap since
 * some registries answer errors with HTML pages.
 */
import { RegistryError, type ErrorCode, type SpecError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../transport/http-types.js';
import { BODY_LIMITS, readBounded } from '../transport/bounded-body.js';
import { redactUrl } from '../transport/redact.js';

export async function responseError(req: HttpRequest, res: HttpResponse, what?: string, code?: ErrorCode): Promise<RegistryError> {
  let specErrors: SpecError[] = [];
  let text = '';
  try {
    text = (await readBounded(res.body, BODY_LIMITS.error, 'error body', { truncate: true })).toString('utf8');
    const doc = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (Array.isArray(doc.errors)) {
      specErrors = doc.errors
        .filter((e) => typeof e.code === 'string')
        .map((e) => ({ code: e.code as string, message: typeof e.message === 'string' ? e.message : undefined }));
    }
  } catch {
    // Not JSON: the status alone speaks.
  } finally {
    res.body.destroy();
  }
  if (res.status === 400 && /HTTP request to an HTTPS server/i.test(text)) {
    // Go's TLS listener answers plain http this way: the scheme, not the request, is wrong.
    return new RegistryError({
      status: res.status, method: req.method, url: redactUrl(res.url ?? req.url), code: 'E_TLS',
      detail: 'the registry speaks https: use an https:// URL, or pass --ca-file for a private CA',
    });
  }
  return new RegistryError({
    status: res.status,
    method: req.method,
    url: redactUrl(res.url ?? req.url),
    specErrors,
    code,
    detail: what,
  });
}
