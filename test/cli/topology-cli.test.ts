import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const ROOT = join(import.meta.dirname, '../..');

const BROKEN = [
  'version: 1',
  'registries:',
  '  sandbox: { role: sandbox, url: http://127.0.0.1:5101 }',
  '  prod:',
  '    role: prod',
  '    url: http://127.0.0.1:5104',
  '    replica: [eu]',
  '    credentials: { password: hunter2 }',
  '  ci: { role: ci, url: http://ci.internal:5000 }',
  'promotion:',
  '  stages:',
  '    - { name: yolo, from: sandbox, to: prod, tags: [latest] }',
  '',
].join('\n');

const WARNINGS_ONLY = 'version: 1\nregistries:\n  ci: { role: ci, url: http://ci.internal:5000 }\n';

describe('CLI: validate, graph, schema', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'regtopo-topology-cli-'));
    writeFileSync(join(dir, 'broken.yaml'), BROKEN);
    writeFileSync(join(dir, 'warnings.yaml'), WARNINGS_ONLY);
  });

  it('validates ./registries.yaml by default: exit 0', async () => {
    const r = await runCli(['validate'], {}, ROOT);
    expect(r.stdout).toBe('registries.yaml: valid, 0 errors, 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('picks the environment from --env or REGTOPO_ENV', async () => {
    expect((await runCli(['validate', '--env', 'production'], {}, ROOT)).stdout).toBe('registries.yaml: valid (environment production), 0 errors, 0 warnings\n');
    expect((await runCli(['validate'], { REGTOPO_ENV: 'test' }, ROOT)).stdout).toBe('registries.yaml: valid (environment test), 0 errors, 0 warnings\n');
    const r = await runCli(['validate', '--env', 'staging'], {}, ROOT);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^registries\.yaml:\d+:1: error \[unknown-environment\] unknown environment "staging"; known: test, production\n/);
  });

  it('reports every problem with file:line:column and rule: exit 2', async () => {
    const file = join(dir, 'broken.yaml');
    const r = await runCli(['validate', '-f', file]);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')).toEqual([
      `${file}:7:5: error [unknown-key] unknown key "replica" (did you mean "replicas"?)`,
      `${file}:8:20: error [inline-secret] inline secrets are not allowed; reference an env var, credential helper or docker config`,
      `${file}: invalid, 2 errors, 0 warnings`,
      '',
    ]);
  });

  it('--output json', async () => {
    const r = await runCli(['validate', '-f', join(dir, 'broken.yaml'), '--output', 'json']);
    expect(r.code).toBe(2);
    expect(r.json()).toEqual({
      file: join(dir, 'broken.yaml'),
      valid: false,
      errors: [
        { rule: 'unknown-key', severity: 'error', message: 'unknown key "replica" (did you mean "replicas"?)', line: 7, column: 5 },
        { rule: 'inline-secret', severity: 'error', message: 'inline secrets are not allowed; reference an env var, credential helper or docker config', line: 8, column: 20 },
      ],
      warnings: [],
    });
  });

  it('cross-field rules run once the schema passes', async () => {
    const fixed = BROKEN.replace('    replica: [eu]\n', '').replace('    credentials: { password: hunter2 }\n', '');
    writeFileSync(join(dir, 'rules.yaml'), fixed);
    const r = await runCli(['-f', 'rules.yaml', 'validate'], {}, dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      [
        'rules.yaml:7:24: warning [http-for-remote-host] plain http to non-loopback host ci.internal:5000: credentials and content travel unencrypted',
        'rules.yaml:10:27: error [promotion-from-sandbox] stage "yolo" promotes from sandbox "sandbox" into prod "prod"; prod never takes images from a sandbox',
        'rules.yaml: invalid, 1 error, 1 warning',
        '',
      ].join('\n'),
    );
  });

  it('warnings alone keep exit 0', async () => {
    const r = await runCli(['validate', '-f', 'warnings.yaml', '-o', 'json'], {}, dir);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ file: 'warnings.yaml', valid: true, errors: [], warnings: [{ rule: 'http-for-remote-host', line: 3, column: 24 }] });
  });

  it('no topology file: E_CONFIG, exit 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'regtopo-no-topology-'));
    const r = await runCli(['validate'], {}, empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('regtopo: no topology file: pass -f FILE or create ./registries.yaml\n');
    const missing = await runCli(['validate', '-f', 'nope.yaml'], {}, empty);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('regtopo: cannot read topology file nope.yaml: no such file\n');
  });

  it('graph prints Mermaid or DOT; an invalid topology is refused', async () => {
    const mermaid = await runCli(['graph', '--env', 'test'], {}, ROOT);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(readFileSync(join(ROOT, 'test/unit/topology/__snapshots__/registries.test.mmd'), 'utf8'));
    const dot = await runCli(['graph', '--format', 'dot', '--env', 'test'], {}, ROOT);
    expect(dot.code).toBe(0);
    expect(dot.stdout).toBe(readFileSync(join(ROOT, 'test/unit/topology/__snapshots__/registries.test.dot'), 'utf8'));
    const bad = await runCli(['graph', '-f', join(dir, 'broken.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is invalid (2 errors; run regtopo validate)');
    expect((await runCli(['graph', '--format', 'png'], {}, ROOT)).code).toBe(2);
  });

  it('schema prints the committed JSON Schema', async () => {
    const r = await runCli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'registries.schema.json'), 'utf8'));
  });
});
