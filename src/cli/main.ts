/**
 * The CLI entry: builds the command tree, and is the only place that turns outcomes into exit codes
 * (see exit-codes.ts). Command modules import the library lazily so `--help` stays fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import type { CliContext, RegisterCommand } from './context.js';
import { ExitCode } from './exit-codes.js';
import { printError, printResult, type GlobalOptions, type OutputFormat } from './output.js';
import { COMMANDS } from './commands/index.js';
import { handleInterrupts } from './interrupt.js';

export async function main(argv: string[]): Promise<number> {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  let exitCode: number = ExitCode.Ok;

  const program = new Command('regtopo')
    .description('Container registry topologies: digest-exact copy, promotion and mirroring')
    // `regtopo --version` is answered by bin/regtopo.js before this module loads; not registering it
    // here leaves `--version V` free for promote/plan/approve, where the issue wants it.
    .addHelpText('after', `\nregtopo ${pkg.version} (regtopo --version prints it)`)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'log progress and HTTP activity to stderr', false)
    .option('-f, --file <path>', 'topology file (default: ./registries.yaml when present)')
    .option('--env <name>', 'topology environment overlay (default: $REGTOPO_ENV)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const interrupts = handleInterrupts();
  const ctx: CliContext = {
    signal: interrupts.signal,
    options: (cmd) => cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>,
    run: async (cmd, body) => {
      const format = (cmd.optsWithGlobals().output ?? 'text') as OutputFormat;
      try {
        exitCode = printResult(await body(), format);
      } catch (err) {
        exitCode = printError(err, format);
      }
    },
  };
  for (const register of COMMANDS as RegisterCommand[]) register(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successful exits; anything else commander rejects is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      return ExitCode.Usage;
    }
    return printError(err, 'text');
  } finally {
    interrupts.dispose();
  }
  return exitCode;
}
