/**
 * Global options against a real registry: -q prints nothing but errors, -v --log-format json
 * logs JSON lines with request fields and labels, --label / $REGTOPO_LABELS label every JSON
 * report, and usage errors (commander's too) honour -o json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { pushDemoImage } from '../../src/demo/demo-image.js';
import { findRegistryBinary, startLocalRegistry, type LocalRegistry } from '../../src/demo/local-registry.js';
import { Reference } from '../../src/ref/reference.js';
import { runCli } from './run-cli.js';

describe('CLI usage errors', () => {
  it('an unknown flag with -o json is a JSON E_USAGE error on stdout, exit 2, nothing on stderr', async () => {
    const r = await runCli(['copy', '--bogus', '-o', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.json()).toEqual({ error: { code: 'E_USAGE', message: "unknown option '--bogus'", exitCode: 2 } });
  });

  it('a missing argument and a bad choice are JSON usage errors too; text mode keeps stderr', async () => {
    const missing = await runCli(['--output=json', 'copy', 'a/b']);
    expect(missing.code).toBe(2);
    expect(missing.json().error).toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/missing required argument 'target'/) });
    const text = await runCli(['copy', '--bogus']);
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/unknown option '--bogus'/);
  });

  it('a malformed label is a usage error naming where it came from', async () => {
    const flag = await runCli(['version', '--label', 'novalue', '-o', 'json']);
    expect(flag.code).toBe(2);
    expect(flag.json().error.message).toMatch(/^--label: label "novalue" is not key=value/);
    const env = await runCli(['version'], { REGTOPO_LABELS: 'a=1,=2' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/REGTOPO_LABELS: label "=2"/);
  });

  it('--output html is refused by commands other than inventory, naming those that support it', async () => {
    const r = await runCli(['tags', '127.0.0.1:1/none', '--output', 'html']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('regtopo: --output html is not supported by tags (commands with html output: inventory)\n');
  });
});

describe.skipIf(!findRegistryBinary())('CLI global options against a real registry', () => {
  let a: LocalRegistry;
  let b: LocalRegistry;

  beforeAll(async () => {
    [a, b] = await Promise.all([startLocalRegistry(), startLocalRegistry()]);
    const client = new RegistryClient();
    await pushDemoImage(client.repository(Reference.parse(`${a.host}/team/app:1.0`)), '1.0', { platforms: ['linux/amd64'], layersPerPlatform: 1, layerBytes: 2048, version: '1.0' });
    await client.close();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('-q prints nothing for a successful copy and only the error for a failed one', async () => {
    const ok = await runCli(['-q', 'copy', `${a.host}/team/app:1.0`, `${b.host}/q/app:1.0`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('');
    expect(ok.stderr).toBe('');
    const tags = await runCli(['tags', `${b.host}/q/app`, '--quiet']);
    expect(tags.stdout).toBe('');
    const failed = await runCli(['copy', `${a.host}/team/app:nope`, `${b.host}/q/app:x`, '-q', '-v']);
    expect(failed.code).toBe(4);
    expect(failed.stdout).toBe('');
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^regtopo: /);
  });

  it('-v --log-format json logs one JSON object per line with time, level, message, request fields and labels', async () => {
    const r = await runCli(['copy', `${a.host}/team/app:1.0`, `${b.host}/json/app:1.0`, '-v', '--log-format', 'json', '--label', 'project=app', '--label', 'build=1234'], { REGTOPO_LABELS: 'team=core,build=1' });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
      expect(line).toMatchObject({ level: expect.any(String), message: expect.any(String), labels: { team: 'core', project: 'app', build: '1234' } });
    }
    const request = lines.find((l) => l.event === 'http' && l.method === 'PUT' && String(l.url).includes('/manifests/'));
    expect(request).toMatchObject({ url: expect.stringContaining(`${b.host}/v2/json/app/manifests/`), status: 201, ms: expect.any(Number) });
    expect(lines.some((l) => l.event === 'blob' && typeof l.digest === 'string')).toBe(true);
    // Text-mode results still go to stdout, untouched by the log format.
    expect(r.stdout).toMatch(/^copied /);
  });

  it('labels appear as a top-level object in JSON reports and errors, not at all without labels', async () => {
    const labelled = await runCli(['tags', `${a.host}/team/app`, '-o', 'json', '--label', 'project=app'], { REGTOPO_LABELS: 'build=1234' });
    expect(labelled.json()).toEqual({ repository: `${a.host}/team/app`, tags: ['1.0'], labels: { build: '1234', project: 'app' } });
    const plain = await runCli(['tags', `${a.host}/team/app`, '-o', 'json']);
    expect(plain.json()).toEqual({ repository: `${a.host}/team/app`, tags: ['1.0'] });
    const error = await runCli(['inspect', `${a.host}/team/app:nope`, '-o', 'json', '--label', 'build=7']);
    expect(error.json()).toMatchObject({ error: { code: 'E_NOT_FOUND' }, labels: { build: '7' } });
    // A report that is an array is wrapped as { labels, items } only when labels are given.
    const rows = await runCli(['help', 'exit-codes', '-o', 'json', '--label', 'build=7']);
    expect(rows.json()).toMatchObject({ labels: { build: '7' }, items: expect.arrayContaining([expect.objectContaining({ code: 0 })]) });
  });
});
