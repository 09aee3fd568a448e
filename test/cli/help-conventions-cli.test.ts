/**
 * Help conventions, for every command the top-level `--help` lists: an Examples section, the
 * global options, and no line wider than an 80-column terminal.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const GLOBAL_FLAGS = ['-o, --output', '-v, --verbose', '-q, --quiet', '--log-format', '--label', '-f, --file', '--env'];

async function commandNames(): Promise<string[]> {
  const help = await runCli(['--help'], { COLUMNS: '80' });
  return [...help.stdout.slice(help.stdout.indexOf('Commands:')).matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

describe('CLI help conventions', () => {
  it('every command has Examples, lists the global options and fits 80 columns', async () => {
    const names = await commandNames();
    expect(names.length).toBeGreaterThan(15);
    const helps = await Promise.all(names.map(async (name) => ({ name, run: await runCli([name, '--help'], { COLUMNS: '80' }) })));
    const top = await runCli(['--help'], { COLUMNS: '80' });
    const problems: string[] = [];
    for (const { name, run } of [...helps, { name: '(top level)', run: top }]) {
      expect(run.code, name).toBe(0);
      if (name !== '(top level)') {
        if (!/^Examples:$/m.test(run.stdout)) problems.push(`${name}: no Examples section`);
        for (const flag of GLOBAL_FLAGS) if (!run.stdout.includes(flag)) problems.push(`${name}: global option ${flag} not listed`);
      }
      for (const line of run.stdout.split('\n')) if ([...line].length > 80) problems.push(`${name}: ${[...line].length} columns: ${line}`);
    }
    expect(problems).toEqual([]);
  });
});
