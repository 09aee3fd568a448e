/** `regtopo completion bash|zsh|fish`: prints a completion script generated from the command tree. */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { completionScript, SHELLS, type Shell } from '../completion-scripts.js';

export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .argument('<shell>', `one of ${SHELLS.join(', ')}`, (value: string) => {
      if (!(SHELLS as readonly string[]).includes(value)) throw new InvalidArgumentError(`shell must be one of ${SHELLS.join(', ')}`);
      return value as Shell;
    })
    .description('print a shell completion script (bash, zsh or fish)')
    .addHelpText('after', `
Examples:
  eval "$(regtopo completion bash)"   # in ~/.bashrc
  eval "$(regtopo completion zsh)"    # in ~/.zshrc, after compinit
  regtopo completion fish > ~/.config/fish/completions/regtopo.fish`)
    .action(async (shell: Shell, _o: unknown, self: Command) => {
      await ctx.run(self, async () => {
        const script = completionScript(program, shell);
        return { data: { shell, script }, text: [script.trimEnd()] };
      });
    });
}
