/**
 * How commands speak: one result object, printed either as JSON (stable, for pipelines) or as text.
 * Errors are one line on stderr (or a JSON object on stdout with --output json), never a stack trace.
 */
import { errorSummary, isRegtopoError } from '../errors.js';
import { exitCodeFor, ExitCode } from './exit-codes.js';

export type OutputFormat = 'text' | 'json';

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
  /** Non-zero when the command ran but reports a failure (partial copy, audit findings). */
  exitCode?: number;
}

export function printResult(result: CommandResult, format: OutputFormat): number {
  if (format === 'json') process.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
  else if (result.text.length > 0) process.stdout.write(`${result.text.join('\n')}\n`);
  return result.exitCode ?? ExitCode.Ok;
}

export function printError(err: unknown, format: OutputFormat): number {
  const { code, message } = errorSummary(err);
  const exit = isRegtopoError(err) ? exitCodeFor(err.code) : ExitCode.Failed;
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ error: { code, message, exitCode: exit } }, null, 2)}\n`);
  } else {
    process.stderr.write(`regtopo: ${oneLine(message)}\n`);
  }
  if (!isRegtopoError(err) && process.env.REGTOPO_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return exit;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
