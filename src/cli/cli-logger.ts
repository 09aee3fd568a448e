/**
 * Where `-v` logs go: stderr, as plain lines or (`--log-format json`) one JSON object per line with
 * time, level, message, the line's fields (method, url, status, ms for requests) and the run's labels.
 */
import type { LogFields, Logger } from '../transport/logging.js';
import { cliSettings } from './cli-settings.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function formatLogLine(level: LogLevel, message: string, fields: LogFields | undefined, time: Date = new Date()): string {
  const { logFormat, labels } = cliSettings();
  if (logFormat !== 'json') return message;
  const entry: Record<string, unknown> = { time: time.toISOString(), level, message, ...fields };
  if (Object.keys(labels).length > 0) entry.labels = labels;
  return JSON.stringify(entry);
}

/** A stderr logger at `level`. */
export function stderrLogger(level: LogLevel = 'debug'): Logger {
  return (line, fields) => {
    process.stderr.write(`${formatLogLine(level, line, fields)}\n`);
  };
}

/** The logger for `-v`: undefined without it (or with `-q`, which wins). */
export function verboseLogger(verbose: boolean | undefined): Logger | undefined {
  return verbose && !cliSettings().quiet ? stderrLogger() : undefined;
}

/** A warning on stderr (`regtopo: warning: …`, or a JSON line); `-q` silences it. */
export function warn(message: string, fields?: LogFields): void {
  if (cliSettings().quiet) return;
  const line = cliSettings().logFormat === 'json' ? formatLogLine('warn', message, fields) : `regtopo: warning: ${message}`;
  process.stderr.write(`${line}\n`);
}
