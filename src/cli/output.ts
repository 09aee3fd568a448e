/**
 * How commands speak: one result object, printed either as JSON (stable, for pipelines) or as text.
 * Errors are one line on stderr (or a JSON object on stdout with --output json), never a stack trace.
 */
import { errorSummary, isRegtopoError, RegtopoError, type ErrorCode } from '../errors.js';
import { cliSettings, withLabels } from './cli-settings.js';
import { exitCodeFor, exitCodeOf, ExitCode } from './exit-codes.js';

export type OutputFormat = 'text' | 'json' | 'html';

/** The commands that render `--output html`; every other one refuses it as a usage error. */
export const HTML_COMMANDS = ['inventory'];

export interface GlobalOptions {
  output: OutputFormat;
  verbose: boolean;
  file?: string;
  env?: string;
}

export interface CommandResult {
  /** What `--output json` prints. */
  data: unknown;
  /** What text mode prints, one string per line. */
  text: string[];
  /** What `--output html` prints (a whole page); only the commands in HTML_COMMANDS set it. */
  html?: string;
  /** How a command that ran to its end came out; default ok. The CLI entry turns it into the exit code. */
  outcome?: CommandOutcome;
}

/**
 * What a command reports beyond its data, in words rather than numbers: commands never pick exit
 * codes (exit-codes.ts does, from this).
 * - findings: an audit ran and found problems (check);
 * - failed: the run reports a failure; `code` is the error code that best names it (E_RATE_RESERVE,
 *   E_NETWORK, a promotion's errorCode…), or none for a plain failure of some items.
 */
export type CommandOutcome = { kind: 'ok' } | { kind: 'findings' } | { kind: 'failed'; code?: ErrorCode };

/** `failed` when `ok` is false (with `code`, when one names the failure), else ok. */
export function outcomeOf(ok: boolean, code?: ErrorCode): CommandOutcome {
  return ok ? { kind: 'ok' } : { kind: 'failed', ...(code ? { code } : {}) };
}

/**
 * Results go to stdout. `-q` silences text results; a JSON report or an HTML page is still written,
 * since asking for one is asking for the result itself.
 */
export function printResult(result: CommandResult, format: OutputFormat, command = ''): number {
  if (format === 'json') process.stdout.write(`${JSON.stringify(withLabels(result.data, cliSettings().labels), null, 2)}\n`);
  else if (format === 'html') {
    if (result.html === undefined) return printError(htmlUnsupported(command), 'text');
    process.stdout.write(result.html);
  } else if (result.text.length > 0 && !cliSettings().quiet) process.stdout.write(`${result.text.join('\n')}\n`);
  return exitCodeOf(result.outcome);
}

export function htmlUnsupported(command: string): RegtopoError {
  return new RegtopoError('E_USAGE', `--output html is not supported by ${command || 'this command'} (commands with html output: ${HTML_COMMANDS.join(', ')})`);
}

export function printError(err: unknown, format: OutputFormat): number {
  const { code, message } = errorSummary(err);
  const exit = isRegtopoError(err) ? exitCodeFor(err.code) : ExitCode.Failed;
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(withLabels({ error: { code, message, exitCode: exit } }, cliSettings().labels), null, 2)}\n`);
  } else {
    process.stderr.write(`regtopo: ${oneLine(message)}\n`);
  }
  if (!isRegtopoError(err) && process.env.REGTOPO_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return exit;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
