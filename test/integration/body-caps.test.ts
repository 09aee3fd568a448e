/**
 * Every body read from the network is capped (transport/bounded-body.ts): a token service or a tag
 * list answering 256 MiB, or never ending, makes the CLI fail with a clear error while its memory
 * stays bounded. Peak RSS is measured in the CLI child itself (process.resourceUsage().maxRSS).
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCredentialHelper } from '../../src/auth/credential-helper.js';
import { BODY_LIMITS } from '../../src/transport/bounded-body.js';
import { runCli, type CliRun } from '../cli/run-cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { generatedBody, startRecordingServer, type RecordingServer } from '../support/trust-hosts.js';

const skip = registrySkipReason('plain');
const PRELOAD = join(import.meta.dirname, '../support/max-rss-preload.cjs');
const HUGE = 256 << 20;
// A CLI run idles at ~60-90 MB here; reading a 256 MiB body whole would take it past 500 MB.
const RSS_LIMIT_MB = 200;

async function cliWithRss(args: string[]): Promise<CliRun & { rssMb: number }> {
  const run = await runCli(args, { NODE_OPTIONS: `--require ${PRELOAD}` });
  const m = /regtopo-test-max-rss-kb=(\d+)/.exec(run.stderr);
  if (!m) throw new Error(`no RSS report from the CLI child: ${run.stderr}`);
  return { ...run, stderr: run.stderr.replace(m[0], '').trim(), rssMb: Number(m[1]) / 1024 };
}

describe.skipIf(skip)('body caps', () => {
  let reg: TestRegistry;
  let front: FaultProxy;
  let tokens: RecordingServer;
  const repo = uniqueRepo('caps');
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    reg = await startTestRegistry('plain');
    await pushImage(reg.url, repo, 'v1', buildImage({ layers: [100] }));
    front = await startFaultProxy(reg.url);
    // A token service whose answer is huge (/huge) or never ends (/endless).
    tokens = await startRecordingServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      generatedBody('{"token":"', req.url?.startsWith('/endless') ? Infinity : HUGE).pipe(res);
    }, '127.0.0.1');
  });
  afterAll(async () => {
    console.log(`peak RSS of the CLI child (MB): ${JSON.stringify(measured)}`);
    await Promise.all([front?.stop(), tokens?.stop()]);
    await reg?.stop();
  });

  for (const [name, path] of [['a 256 MiB', '/huge'], ['an endless', '/endless']] as const) {
    it(`${name} token response fails at the 1 MiB cap with bounded memory`, async () => {
      front.reset();
      front.addRule({ path: /^\/v2\//, fault: { kind: 'status', status: 401, headers: { 'www-authenticate': `Bearer realm="${tokens.url}${path}",service="caps"` } } });
      const run = await cliWithRss(['tags', `${front.host}/${repo}`]);
      measured[`token ${name}`] = Math.round(run.rssMb);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^regtopo: token service http://${tokens.host.replace(/\./g, '\\.')}${path} for ${front.host.replace(/\./g, '\\.')}: response exceeds the ${BODY_LIMITS.token}-byte limit$`));
      expect(run.rssMb).toBeLessThan(RSS_LIMIT_MB);
    });

    it(`${name} tag list fails at the 4 MiB cap with bounded memory`, async () => {
      front.reset();
      const total = path === '/endless' ? Infinity : HUGE;
      front.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'generatedBody', body: () => generatedBody(`{"name":"${repo}","tags":["`, total) } });
      const run = await cliWithRss(['tags', `${front.host}/${repo}`]);
      measured[`tag list ${name}`] = Math.round(run.rssMb);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`regtopo: tags of ${front.host}/${repo}: response exceeds the ${BODY_LIMITS.listPage}-byte limit`);
      expect(run.rssMb).toBeLessThan(RSS_LIMIT_MB);
    });
  }

  it('a tag list that declares 256 MiB is refused before its body is read', async () => {
    front.reset();
    front.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'generatedBody', headers: { 'content-length': String(HUGE) }, body: () => generatedBody('{"tags":["', HUGE) } });
    const run = await cliWithRss(['tags', `${front.host}/${repo}`]);
    measured['tag list declared 256 MiB'] = Math.round(run.rssMb);
    expect(run.stderr).toBe(`regtopo: tags of ${front.host}/${repo}: response exceeds the ${BODY_LIMITS.listPage}-byte limit`);
    expect(run.rssMb).toBeLessThan(RSS_LIMIT_MB);
  });

  it("a credential helper's endless stdout is cut at 1 MiB", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-helper-'));
    const helper = join(dir, 'docker-credential-flood');
    writeFileSync(helper, '#!/bin/sh\nexec yes \'{"Username":"u","Secret":"s"}\'\n');
    chmodSync(helper, 0o755);
    await expect(runCredentialHelper('flood', 'registry.example.com', { env: { PATH: `${dir}:${process.env.PATH ?? ''}` } }))
      .rejects.toThrow('credential helper docker-credential-flood for registry.example.com produced more than 1048576 bytes of output');
  });
});
