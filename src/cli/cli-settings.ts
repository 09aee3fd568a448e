/**
 * The global output settings of one CLI run (`-q`, `--log-format`, `--label`/$REGTOPO_LABELS),
 * resolved once by main.ts before a command runs. They live here rather than in every command's
 * options because displays that commands create (progress lines, loggers) must honour them
 * without each call site passing them along.
 */
import { RegtopoError } from '../errors.js';

export type LogFormat = 'text' | 'json';

export interface CliSettings {
  quiet: boolean;
  logFormat: LogFormat;
  /** Added to every JSON report and JSON log line; empty when none were given. */
  labels: Record<string, string>;
}

let current: CliSettings = { quiet: false, logFormat: 'text', labels: {} };

export function cliSettings(): CliSettings {
  return current;
}

export function setCliSettings(settings: CliSettings): void {
  current = settings;
}

const LABEL_KEY = /^[A-Za-z0-9_.\/-]{1,63}$/;

/**
 * `$REGTOPO_LABELS` (comma-separated) first, then each `--label`: a flag overrides the variable for
 * the same key, so a CI job can set defaults in the environment and refine them per step.
 */
export function parseLabels(fromEnv: string | undefined, fromFlags: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  const add = (item: string, origin: string) => {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (!LABEL_KEY.test(key)) {
      throw new RegtopoError('E_USAGE', `${origin}: label "${item}" is not key=value (keys: letters, digits, . _ - /; at most 63)`);
    }
    labels[key] = item.slice(eq + 1);
  };
  for (const item of (fromEnv ?? '').split(',').map((s) => s.trim()).filter(Boolean)) add(item, 'REGTOPO_LABELS');
  for (const item of fromFlags) add(item, '--label');
  return labels;
}

/**
 * A JSON report with the run's labels. Objects get a top-level `labels` key; a report that is an
 * array becomes `{ labels, items }`. Without labels every report keeps its exact shape.
 */
export function withLabels(data: unknown, labels: Record<string, string>): unknown {
  if (Object.keys(labels).length === 0) return data;
  if (Array.isArray(data)) return { labels, items: data };
  if (data !== null && typeof data === 'object') return { ...(data as object), labels };
  return { labels, value: data };
}
