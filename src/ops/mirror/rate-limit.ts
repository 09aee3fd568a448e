/**
 * Docker Hub's pull accounting as the registry reports it: `ratelimit-limit: 100;w=21600` and
 * `ratelimit-remaining: 76;w=21600` on responses. The tracker reads them from every response (hook
 * it into RegistryClient's `onResponse`), so the mirror knows the quota left before each manifest
 * GET (HEADs are free on Docker Hub) and can stop before crossing the reserve it was given.
 */
import type { HttpRequest, HttpResponse } from '../../transport/http-types.js';

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

  /** Pass as RegistryClientOptions.onResponse. */
  readonly observe = (req: HttpRequest, res: HttpResponse): void => {
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
  };

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
