/**
 * `regtopo check` fails closed: an upload probe that errors (a 5xx, a token service that fails, a
 * registry that is gone) is a finding, never a pass.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTopology } from '../../src/ops/check.js';
import { parseTopology, requireValidTopology } from '../../src/topology/index.js';
import { runCli } from '../cli/run-cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { startRecordingServer, type RecordingServer } from '../support/trust-hosts.js';

const skip = registrySkipReason('plain');
const UPLOADS = /\/blobs\/uploads\/$/;

describe.skipIf(skip)('check fails closed', () => {
  let prodReg: TestRegistry;
  let archiveReg: TestRegistry;
  let prod: FaultProxy;
  let archive: FaultProxy;
  let brokenTokens: RecordingServer;
  let yaml: string;

  beforeAll(async () => {
    [prodReg, archiveReg] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    [prod, archive] = await Promise.all([startFaultProxy(prodReg.url), startFaultProxy(archiveReg.url)]);
    brokenTokens = await startRecordingServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('token service down');
    });
    yaml = [
      'version: 1',
      'registries:',
      `  prod: { role: prod, url: "${prod.url}" }`,
      `  archive: { role: archive, url: "${archive.url}" }`,
      '',
    ].join('\n');
  });
  afterAll(async () => {
    await Promise.all([prod?.stop(), archive?.stop(), brokenTokens?.stop()]);
    await Promise.all([prodReg?.stop(), archiveReg?.stop()]);
  });

  const rules = () => {
    prod.reset();
    archive.reset();
    prod.addRule({ method: 'POST', path: UPLOADS, fault: { kind: 'status', status: 500 } });
    archive.addRule({
      method: 'POST',
      path: UPLOADS,
      fault: { kind: 'status', status: 401, headers: { 'www-authenticate': `Bearer realm="${brokenTokens.url}/token",service="archive"` } },
    });
  };

  it('a probe answered 500, or refused by a token service that errors, is a finding', async () => {
    rules();
    const result = await checkTopology(requireValidTopology(parseTopology(yaml, 'registries.yaml', { environ: {} })));
    const byName = Object.fromEntries(result.registries.map((r) => [r.name, r]));
    expect(byName.prod!.writableBy).toEqual([]);
    expect(byName.prod!.findings).toEqual(['could not verify write authority as anonymous: upload probe answered HTTP 500']);
    expect(byName.archive!.findings).toHaveLength(1);
    expect(byName.archive!.findings[0]).toMatch(/^could not verify write authority as anonymous: token service http:\/\/127\.0\.0\.\d+:\d+\/token for 127\.0\.0\.1:\d+: HTTP 503$/);
    expect(result.findings).toBe(2);
    expect(prod.count('POST', UPLOADS)).toBeGreaterThan(0);
    expect(brokenTokens.requests.length).toBeGreaterThan(0);
  });

  it('an interrupted audit is E_INTERRUPTED, never a finding or a pass', async () => {
    rules();
    const controller = new AbortController();
    controller.abort();
    await expect(checkTopology(requireValidTopology(parseTopology(yaml, 'registries.yaml', { environ: {} })), { signal: controller.signal }))
      .rejects.toMatchObject({ code: 'E_INTERRUPTED' });
  });

  it('the CLI exits 9 and prints the finding', async () => {
    rules();
    const file = join(mkdtempSync(join(tmpdir(), 'regtopo-check-')), 'registries.yaml');
    writeFileSync(file, yaml);
    const cli = await runCli(['check', '-f', file]);
    expect(cli.code).toBe(9);
    expect(cli.stdout).toContain('could not verify write authority as anonymous: upload probe answered HTTP 500');
  });

  it('a registry that is gone is a finding too', async () => {
    const gone = await startTestRegistry('plain');
    await gone.stop();
    const config = requireValidTopology(parseTopology(['version: 1', 'registries:', `  prod: { role: prod, url: "${gone.url}" }`, ''].join('\n'), 'registries.yaml', { environ: {} }));
    const result = await checkTopology(config);
    expect(result.findings).toBe(1);
    expect(result.registries[0]!.reachable).toBe(false);
  });

  it('credentials that cannot be used are a finding naming why, not "unreachable"', async () => {
    prod.reset();
    prod.addRule({ method: 'GET', path: /^\/v2\/$/, fault: { kind: 'status', status: 401, headers: { 'www-authenticate': 'Basic realm="prod"' } } });
    const config = requireValidTopology(parseTopology(['version: 1', 'registries:', `  prod: { role: prod, url: "${prod.url}", credentials: { env: { username: PROD_U, password: PROD_P } } }`, ''].join('\n'), 'registries.yaml', { environ: {} }));
    const result = await checkTopology(config, { env: {} });
    expect(result.registries[0]).toMatchObject({ reachable: true, access: 'refused' });
    // The registry behind the proxy is really open to anonymous pushes, which stays a finding too.
    expect(result.registries[0]!.findings).toEqual([
      `credentials not usable: credentials for ${prod.host}: environment variable PROD_U, PROD_P not set`,
      'anonymous can open an upload on prod registry "prod" (write authority not enforced)',
    ]);
  });
});
