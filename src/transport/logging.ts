/**
 * Verbose request logging: method, redacted URL, status and time. Headers are never logged, so no
 * credential can reach a log through this layer.
 */
import type { Layer } from './http-types.js';
import { redactUrl } from './redact.js';

export type Logger = (line: string) => void;

export function loggingLayer(log: Logger): Layer {
  return (next) => async (req) => {
    const started = performance.now();
    try {
      const res = await next(req);
      log(`${req.method} ${redactUrl(req.url)} → ${res.status} (${Math.round(performance.now() - started)} ms)`);
      return res;
    } catch (err) {
      log(`${req.method} ${redactUrl(req.url)} → failed: ${(err as Error).message}`);
      throw err;
    }
  };
}
