/**
 * Shell completion scripts for bash, zsh and fish, generated from the command tree itself, so a new
 * command or flag completes without anyone editing a script. Completes command names, then the
 * command's flags (and the global ones); arguments fall back to the shell's file completion.
 */
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Spec {
  name: string;
  description: string;
  flags: Array<{ long?: string; short?: string; description: string }>;
}

function flagsOf(options: readonly Option[]): Spec['flags'] {
  return options.filter((o) => !o.hidden).map((o) => ({ long: o.long, short: o.short, description: o.description }));
}

export function completionScript(program: Command, shell: Shell): string {
  const name = program.name();
  const globals = flagsOf(program.options);
  const commands: Spec[] = program.commands.map((c) => ({ name: c.name(), description: c.description(), flags: [...flagsOf(c.options), ...globals] }));
  if (shell === 'bash') return bash(name, commands, globals);
  if (shell === 'zsh') return zsh(name, commands, globals);
  return fish(name, commands, globals);
}

const words = (flags: Spec['flags']) => flags.flatMap((f) => [f.long, f.short]).filter(Boolean).join(' ');
const fn = (name: string) => `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
const squote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(name: string, commands: Spec[], globals: Spec['flags']): string {
  const cases = commands.map((c) => `    ${c.name}) opts=${squote(words(c.flags))} ;;`).join('\n');
  return `# bash completion for ${name}: eval "$(${name} completion bash)" (e.g. in ~/.bashrc)
${fn(name)}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then opts=${squote(words(globals))}; else opts=${squote(commands.map((c) => c.name).join(' '))}; fi
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o default -F ${fn(name)} ${name}
`;
}

function zsh(name: string, commands: Spec[], globals: Spec['flags']): string {
  const describe = commands.map((c) => `    ${squote(`${c.name}:${c.description.replace(/:/g, '\\:')}`)}`).join('\n');
  const cases = commands.map((c) => `    ${c.name}) compadd -- ${words(c.flags)} ;;`).join('\n');
  return `#compdef ${name}
# zsh completion for ${name}: eval "$(${name} completion zsh)" (after compinit), or save as _${name} in $fpath
${fn(name)}() {
  local -a cmds
  cmds=(
${describe}
  )
  local cmd="" w
  for w in \${words[2,CURRENT-1]}; do [[ "$w" != -* ]] && { cmd="$w"; break; }; done
  if [[ -z "$cmd" ]]; then
    if [[ "$PREFIX" == -* ]]; then compadd -- ${words(globals)}; else _describe command cmds; fi
    return
  fi
  if [[ "$PREFIX" != -* ]]; then _files; return; fi
  case "$cmd" in
${cases}
  esac
}
compdef ${fn(name)} ${name}
`;
}

function fish(name: string, commands: Spec[], globals: Spec['flags']): string {
  const lines = [`# fish completion for ${name}: ${name} completion fish > ~/.config/fish/completions/${name}.fish`, `complete -c ${name} -f`];
  const flag = (f: Spec['flags'][number], condition: string) =>
    `complete -c ${name} -n ${squote(condition)}${f.long ? ` -l ${f.long.replace(/^--/, '')}` : ''}${f.short ? ` -s ${f.short.replace(/^-/, '')}` : ''} -d ${squote(f.description)}`;
  for (const f of globals) lines.push(flag(f, '__fish_use_subcommand'));
  for (const c of commands) {
    lines.push(`complete -c ${name} -n '__fish_use_subcommand' -a ${c.name} -d ${squote(c.description)}`);
    for (const f of c.flags) lines.push(flag(f, `__fish_seen_subcommand_from ${c.name}`));
  }
  return `${lines.join('\n')}\n`;
}
