/**
 * Auth failures say which credential source was tried, whether credentials were missing or
 * refused, and what to run, against a real htpasswd registry; no secret reaches the message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

describe.skipIf(registrySkipReason('htpasswd'))('CLI auth failure messages', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startTestRegistry('htpasswd');
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('no credentials: says they were missing, where it looked, and suggests docker login', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'regtopo-auth-empty-'));
    const r = await runCli(['tags', `${reg.host}/team/app`], { DOCKER_CONFIG: empty });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`(credentials missing; tried none: ${join(empty, 'config.json')} has no entry, credHelpers or credsStore for ${reg.host}, so the request was anonymous; run: docker login ${reg.host})`);
  });

  it('wrong credentials: says they were refused and names the config file and key, never the password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-auth-wrong-'));
    const secret = 'not-the-password-42';
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.username}:${secret}`).toString('base64') } } }));
    const r = await runCli(['inspect', `${reg.host}/team/app:1`, '-o', 'json'], { DOCKER_CONFIG: dir });
    expect(r.code).toBe(5);
    const message = r.json().error.message as string;
    expect(message).toContain(`(credentials refused; tried ${join(dir, 'config.json')} auths["${reg.host}"]; run: docker login ${reg.host})`);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });
});
