/**
 * What a command file gets from the CLI entry: the global flags and a runner that prints the result
 * and records the exit code. Commands stay thin: flags → options → one library call → CommandResult.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CommandResult, GlobalOptions } from './output.js';

export interface CliContext {
  /** Global flags merged with the command's own (`--output`, `-v`, `-f`, `--env`). */
  options(cmd: Command): GlobalOptions & Record<string, unknown>;
  /** Runs the command body; errors become one-line messages and exit codes. */
  run(cmd: Command, body: () => Promise<CommandResult>): Promise<void>;
  /** Fires on SIGINT/SIGTERM: pass it as the library call's `signal` so the command stops cleanly. */
  signal: AbortSignal;
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** Commander collector for repeatable flags (`--tag a --tag b`, or `--tag a,b`). */
export function collectList(value: string, previous: string[] = []): string[] {
  return previous.concat(value.split(',').map((v) => v.trim()).filter(Boolean));
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}
