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

  /** Manifest GETs sent and not yet answered, per host: pulls the reported quota may not show yet. */
  private readonly inflight = new Map<string, number>();

  /** The guarding, observing layer for RegistryClientOptions.layers. */
  layer(reserve: number): Layer {
    return (next) => async (req) => {
      const url = new URL(req.url);
      const counted = req.method === 'GET' && MANIFEST_PATH.test(url.pathname);
      if (counted) {
        if (this.reserveReached(url.host, reserve)) {
          const left = this.byHost.get(url.host)?.remaining;
          throw new RegtopoError('E_RATE_RESERVE', `${url.host} reports ${left} pulls remaining, at or below the reserve of ${reserve}`);
        }
        this.inflight.set(url.host, (this.inflight.get(url.host) ?? 0) + 1);
      }
      let res: HttpResponse;
      try {
        res = await next(req);
      } finally {
        if (counted) this.inflight.set(url.host, this.inflight.get(url.host)! - 1);
      }
      this.observe(req, res);
      return res;
    };
  }

  /**
   * Reads the quota headers of a response. Within a run the quota only falls, and responses overtake
   * each other (a HEAD answered before our GETs landed reports more than is left), so the lowest
   * value seen is kept.
   */
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
      state.remaining = state.remaining === undefined ? remaining.value : Math.min(state.remaining, remaining.value);
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
    return remaining !== undefined && remaining - (this.inflight.get(host) ?? 0) <= reserve;
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
