/**
 * `regtopo help [COMMAND|TOPIC]`: commander's help for a command, plus topics that are not commands.
 * Today one topic, `exit-codes`, printed from the same table the CLI entry maps errors with, so the
 * help cannot drift from what the process really returns.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { EXIT_CODE_MEANINGS } from '../exit-codes.js';

const TOPICS = ['exit-codes'] as const;

export function registerHelp(program: Command, ctx: CliContext): void {
  program.helpCommand(false);
  program
    .command('help')
    .argument('[command-or-topic]', `a command, or a topic: ${TOPICS.join(', ')}`)
    .description('show help for a command, or a topic (exit-codes)')
    .addHelpText('after', '\nExamples:\n  regtopo help copy\n  regtopo help exit-codes\n  regtopo help exit-codes -o json')
    .action(async (topic: string | undefined, _o: unknown, self: Command) => {
      if (topic === 'exit-codes') {
        await ctx.run(self, async () => ({
          data: EXIT_CODE_MEANINGS.map(({ code, name, meaning }) => ({ code, name, meaning })),
          text: ['Exit codes:', ...EXIT_CODE_MEANINGS.map(({ code, meaning }) => `  ${String(code).padStart(3)}  ${meaning}`)],
        }));
        return;
      }
      const target = topic === undefined ? program : program.commands.find((c) => c.name() === topic || c.aliases().includes(topic));
      if (!target) program.error(`unknown command or help topic "${topic}" (topics: ${TOPICS.join(', ')})`, { code: 'commander.unknownCommand' });
      else target.outputHelp();
    });
}
