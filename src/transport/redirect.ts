/**
 * Follows redirects for GET and HEAD (blob downloads are commonly redirected to object storage).
 * Authorization is dropped as soon as the origin changes: a registry's token must never reach a
 * storage host or any other server.
 */
import { RegtopoError } from '../errors.js';
import { discard, type Layer } from './http-types.js';
import { redactUrl } from './redact.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export function redirectLayer(): Layer {
  return (next) => async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next(req);
    const origin = new URL(req.url).origin;
    let current = req;
    for (let hop = 0; ; hop++) {
      const res = await next(current);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || !location) return res;
      await discard(res);
      if (hop >= MAX_REDIRECTS) {
        throw new RegtopoError('E_NETWORK', `${req.method} ${redactUrl(req.url)}: more than ${MAX_REDIRECTS} redirects`);
      }
      const target = new URL(location, current.url);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        throw new RegtopoError('E_NETWORK', `${req.method} ${redactUrl(req.url)}: refusing redirect to ${target.protocol} URL`);
      }
      const headers = { ...current.headers };
      if (target.origin !== origin) {
        delete headers.authorization;
        delete headers.Authorization;
      }
      current = { ...current, url: target.toString(), headers, authHost: target.origin === origin ? req.authHost : undefined };
    }
  };
}
