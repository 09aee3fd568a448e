/**
 * Builds a RegistryError from an error response: status, method, redacted URL and the spec's error
 * codes from the JSON body (distribution-spec "error codes"). The body is read with a small cap since
 * some registries answer errors with HTML pages.
 */
import { RegistryError, type ErrorCode, type SpecError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../transport/http-types.js';
import { redactUrl } from '../transport/redact.js';

const MAX_ERROR_BODY = 64 * 1024;

export async function responseError(req: HttpRequest, res: HttpResponse, what?: string, code?: ErrorCode): Promise<RegistryError> {
  let specErrors: SpecError[] = [];
  let text = '';
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_ERROR_BODY) break;
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
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
