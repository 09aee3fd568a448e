/**
 * Verbose request logging: method, redacted URL, status and time. Headers are never logged, so no
 * credential can reach a log through this layer. Each line also comes with its fields, so a
 * structured sink (the CLI's `--log-format json`) can emit them without parsing the text.
 */
import type { Layer } from './http-types.js';
import { redactUrl } from './redact.js';

/** Fields of a log line: plain values only, never headers or bodies. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export type Logger = (line: string, fields?: LogFields) => void;

export function loggingLayer(log: Logger): Layer {
  return (next) => async (req) => {
    const started = performance.now();
    const url = redactUrl(req.url);
    try {
      const res = await next(req);
      const ms = Math.round(performance.now() - started);
      log(`${req.method} ${url} → ${res.status} (${ms} ms)`, { event: 'http', method: req.method, url, status: res.status, ms });
      return res;
    } catch (err) {
      const message = (err as Error).message;
      log(`${req.method} ${url} → failed: ${message}`, { event: 'http', method: req.method, url, error: message });
      throw err;
    }
  };
}
