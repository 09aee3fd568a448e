/** CLI conventions: `version`, `help exit-codes` (equal to the README's table), shell completion. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

describe('CLI conventions', () => {
  it('regtopo version prints what --version prints, and the runtime as JSON', async () => {
    const [plain, flag, json] = await Promise.all([runCli(['version']), runCli(['--version']), runCli(['version', '-o', 'json'])]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(flag.stdout);
    expect(json.json()).toMatchObject({ version: flag.stdout.trim(), node: process.version });
  });

  it('help exit-codes lists exactly the README exit-code table', async () => {
    const run = await runCli(['help', 'exit-codes', '-o', 'json']);
    expect(run.code).toBe(0);
    const rows = run.json<Array<{ code: number; meaning: string }>>();
    const readme = [...README.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => ({ code: Number(m[1]), meaning: m[2] }));
    expect(readme).toEqual(rows.map(({ code, meaning }) => ({ code, meaning })));
    expect(rows.map((r) => r.code)).toContain(130);
    const text = await runCli(['help', 'exit-codes']);
    expect(text.stdout).toMatch(/^\s+15 {2}promoted, replication incomplete/m);
  });

  it('help COMMAND shows that command, an unknown topic is a usage error', async () => {
    const copy = await runCli(['help', 'copy']);
    expect(copy.code).toBe(0);
    expect(copy.stdout).toMatch(/^Usage: regtopo copy/m);
    const bogus = await runCli(['help', 'bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown command or help topic "bogus"/);
  });

  it('bash completion completes commands and the flags of the command being typed', async () => {
    const run = await runCli(['completion', 'bash']);
    expect(run.code).toBe(0);
    const script = join(tmpdir(), `regtopo-completion-${process.pid}.bash`);
    writeFileSync(script, run.stdout);
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _regtopo; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' })
        .split('\n').filter(Boolean);
    expect(complete('regtopo', 'co')).toEqual(['copy', 'completion']);
    expect(complete('regtopo', 'copy', '--plat')).toEqual(['--platform']);
    expect(complete('regtopo', 'copy', '--out')).toEqual(['--output']);
  });

  it('zsh and fish scripts name every command; an unknown shell is a usage error', async () => {
    const help = await runCli(['--help']);
    const commands = [...help.stdout.slice(help.stdout.indexOf('Commands:')).matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThan(10);
    for (const shell of ['zsh', 'fish']) {
      const run = await runCli(['completion', shell]);
      expect(run.code).toBe(0);
      for (const c of commands) expect(run.stdout, `${shell} lacks ${c}`).toContain(c);
    }
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/shell must be one of bash, zsh, fish/);
  });

  it('a reader that has closed the pipe (| head -1) ends the command quietly with exit 0', async () => {
    const bin = join(import.meta.dirname, '../../bin/regtopo.js');
    const child = spawn(process.execPath, [bin, 'completion', 'fish'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    // Closed before the child writes anything: its first write meets a closed pipe, every time.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
