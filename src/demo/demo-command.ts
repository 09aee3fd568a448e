/**
 * The command line a user would type for each step the demo performs through the library: printed
 * before the step runs, with the demo's topology file and environment, quoted for a POSIX shell so
 * it can be pasted as it is (while `demo --keep` holds the registries).
 */

export type DemoCommand = (args: readonly string[]) => string;

export function demoCommand(file: string, env: string): DemoCommand {
  return (args) => `$ regtopo ${[...args, '-f', file, '--env', env].map(shellQuote).join(' ')}`;
}

const PLAIN = /^[A-Za-z0-9_@%+=:,./~-]+$/;

export function shellQuote(arg: string): string {
  return PLAIN.test(arg) && !arg.startsWith('~') ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
