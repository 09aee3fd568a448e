/**
 * The CLI entry: builds the command tree, and is the only place that turns outcomes into exit codes
 * (see exit-codes.ts). Command modules import the library lazily so `--help` stays fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { RegtopoError } from '../errors.js';
import { parseLabels, setCliSettings, type LogFormat } from './cli-settings.js';
import type { CliContext, RegisterCommand } from './context.js';
import { ExitCode } from './exit-codes.js';
import { HTML_COMMANDS, htmlUnsupported, printError, printResult, type GlobalOptions, type OutputFormat } from './output.js';
import { COMMANDS } from './commands/index.js';
import { setEarlySockets } from './client-flags.js';
import type { EarlySocket } from './early-dial.js';
import { addMissingExamples } from './help-examples.js';
import { handleInterrupts } from './interrupt.js';

/** Formats `--output` accepts; `html` is a page only `inventory` renders (see output.ts). */
export const OUTPUT_FORMATS = ['text', 'json', 'html'] as const;

let ran = '';

/**
 * The command the last main() ran ('' for help, a usage error or none): bin/code-cache.js rewrites
 * the code cache after a command it was never written after, so that command's functions are in it.
 */
export function commandRan(): string {
  return ran;
}

export interface MainOptions {
  /** Connections bin/regtopo.js opened before the bundle loaded (early-dial.ts): the first client adopts them. */
  earlySockets?: EarlySocket[];
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  ran = '';
  setEarlySockets(options.earlySockets ?? []);
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  let exitCode: number = ExitCode.Ok;
  // Commander rejects bad flags before any option is parsed, so the format for its error is read
  // from the raw arguments: a usage error then honours `-o json` like every other error.
  const earlyFormat = formatFromArgv(argv.slice(2));

  const program = new Command('regtopo')
    .description('Container registry topologies: digest-exact copy, promotion and mirroring')
    // `regtopo --version` is answered by bin/regtopo.js before this module loads; not registering it
    // here leaves `--version V` free for promote/plan/approve, where the issue wants it.
    .addHelpText('after', `\nregtopo ${pkg.version} (regtopo --version prints it)`)
    .addOption(new Option('-o, --output <format>', 'output format (html: inventory only)').choices(OUTPUT_FORMATS).default('text'))
    .option('-v, --verbose', 'log progress and HTTP activity to stderr')
    .option('-q, --quiet', 'print nothing but errors (and an --output json report)')
    .addOption(new Option('--log-format <format>', 'format of -v logs: text, or JSON lines').choices(['text', 'json']).default('text'))
    .option('--label <key=value>', 'label every JSON report and JSON log line (repeatable; also $REGTOPO_LABELS=k=v,…)', (v: string, prev: string[] = []) => prev.concat(v))
    .option('-f, --file <path>', 'topology file (default: ./registries.yaml when present)')
    .option('--env <name>', 'topology environment overlay (default: $REGTOPO_ENV)')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      getOutHelpWidth: () => helpWidth(process.stdout),
      getErrHelpWidth: () => helpWidth(process.stderr),
      // In JSON mode the error is printed once, as JSON, by the catch below.
      outputError: (str, write) => { if (earlyFormat !== 'json') write(str); },
    })
    .showHelpAfterError(earlyFormat === 'json' ? false : '(run with --help for usage)')
    .exitOverride();

  program.hook('preAction', (_root, action) => {
    const path: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) path.unshift(c.name());
    ran = path.join(' ');
    const g = action.optsWithGlobals() as { quiet?: boolean; logFormat?: LogFormat; label?: string[] };
    setCliSettings({ quiet: g.quiet === true, logFormat: g.logFormat ?? 'text', labels: parseLabels(process.env.REGTOPO_LABELS, g.label ?? []) });
  });

  const interrupts = handleInterrupts();
  const ctx: CliContext = {
    signal: interrupts.signal,
    options: (cmd) => cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>,
    run: async (cmd, body) => {
      const format = (cmd.optsWithGlobals().output ?? 'text') as OutputFormat;
      // Refused before the command does any work.
      if (format === 'html' && !HTML_COMMANDS.includes(cmd.name())) {
        exitCode = printError(htmlUnsupported(cmd.name()), 'text');
        return;
      }
      try {
        exitCode = printResult(await body(), format, cmd.name());
      } catch (err) {
        exitCode = printError(err, format);
      }
    },
  };
  for (const register of COMMANDS as RegisterCommand[]) register(program, ctx);
  addMissingExamples(program);
  for (const cmd of program.commands) cmd.exitOverride();

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successful exits; anything else commander rejects is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      if (earlyFormat === 'json') return printError(new RegtopoError('E_USAGE', err.message.replace(/^error: /, '')), 'json');
      return ExitCode.Usage;
    }
    return printError(err, earlyFormat);
  } finally {
    interrupts.dispose();
  }
  return exitCode;
}

/** `-o json`, `-ojson`, `--output json`, `--output=json` among raw arguments (the last one wins). */
export function formatFromArgv(args: string[]): OutputFormat {
  let format: OutputFormat = 'text';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const value = a === '-o' || a === '--output' ? args[++i] : a.startsWith('--output=') ? a.slice(9) : a.startsWith('-o') && a.length > 2 && !a.startsWith('--') ? a.slice(2) : undefined;
    if (value === 'json' || value === 'text' || value === 'html') format = value;
  }
  return format;
}

/** The terminal's width, else $COLUMNS, else 80; help is wrapped to it. */
function helpWidth(stream: NodeJS.WriteStream): number {
  const columns = Number(process.env.COLUMNS);
  return (stream.isTTY && stream.columns) || (Number.isInteger(columns) && columns > 20 ? columns : 80);
}
