/**
 * Docker Hub's pull accounting as the registry reports it: `ratelimit-limit: 100;w=21600` and
 * `ratelimit-remaining: 76;w=21600` on responses. The tracker's transport layer (RegistryClient's
 * `layers`) reads them from every response and guards every manifest GET (the requests Docker Hub
 * counts; HEADs are free): a GET sent counts against the known remaining quota at once, so parallel
 * tags cannot overshoot, and one that would leave less than the reserve is refused before it is
 * sent, with E_RATE_RESERVE.
 */
import { RegtopoError } from '../../errors.js';
import type { HttpRequest, HttpResponse, Layer } from '../../transport/http-types.js';

const MANIFEST_PATH = /\/v2\/.+\/manifests\/[^/]+$/;

export interface RateLimitState {
  /** host[:port] the responses came from (the API host, e.g. registry-1.docker.io). */
  host: string;
  limit?: number;
  remaining?: number;
  /** Window in seconds (the `w=` parameter). */
  windowSeconds?: number;
}

export class RateLimitTracker {
  private readonly byHost = new Map<string, RateLimitState>();

  /** The guarding, observing layer for RegistryClientOptions.layers. */
  layer(reserve: number): Layer {
    return (next) => async (req) => {
      if (req.method === 'GET') this.spend(new URL(req.url), reserve);
      const res = await next(req);
      this.observe(req, res);
      return res;
    };
  }

  /** Counts one pull against a host whose quota is known; refuses it when it would cross the reserve. */
  private spend(url: URL, reserve: number): void {
    if (!MANIFEST_PATH.test(url.pathname)) return;
    const state = this.byHost.get(url.host);
    if (state?.remaining === undefined) return;
    if (this.reserveReached(url.host, reserve)) {
      throw new RegtopoError('E_RATE_RESERVE', `${url.host} reports ${state.remaining} pulls remaining, at or below the reserve of ${reserve}`);
    }
    state.remaining -= 1;
  }

  /** Reads the quota headers of a response: the registry's word replaces our local count. */
  observe(req: HttpRequest, res: HttpResponse): void {
    const limit = parseQuota(res.headers['ratelimit-limit']);
    const remaining = parseQuota(res.headers['ratelimit-remaining']);
    if (!limit && !remaining) return;
    let host: string;
    try {
      host = new URL(res.url || req.url).host;
    } catch {
      return;
    }
    const state = this.byHost.get(host) ?? { host };
    if (limit) Object.assign(state, { limit: limit.value }, limit.window !== undefined && { windowSeconds: limit.window });
    if (remaining) {
      state.remaining = remaining.value;
      if (remaining.window !== undefined) state.windowSeconds = remaining.window;
    }
    this.byHost.set(host, state);
  }

  get(host: string): RateLimitState | undefined {
    const s = this.byHost.get(host);
    return s && { ...s };
  }

  all(): RateLimitState[] {
    return [...this.byHost.values()].map((s) => ({ ...s }));
  }

  /** True when one more pull from `host` would leave fewer than `reserve` (unknown quota: false). */
  reserveReached(host: string, reserve: number): boolean {
    const remaining = this.byHost.get(host)?.remaining;
    return remaining !== undefined && remaining <= reserve;
  }
}

/** `76;w=21600` → {value 76, window 21600}; the first entry of a list counts. */
export function parseQuota(header: string | undefined): { value: number; window?: number } | undefined {
  if (!header) return undefined;
  const first = header.split(',')[0]!.trim();
  const m = /^(\d+)\s*(?:;(.*))?$/.exec(first);
  if (!m) return undefined;
  const w = /(?:^|;)\s*w=(\d+)/.exec(m[2] ?? '');
  return { value: Number(m[1]), ...(w && { window: Number(w[1]) }) };
}
