/**
 * Approval hooks treat their answers as hostile: a webhook that streams without end is read up to
 * the hook cap and counts as a rejection; a redirect is not an approval; a command's output is
 * capped the same way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandHook, runWebhookHook } from '../../src/ops/promotion/hooks.js';
import type { PromotionPlan } from '../../src/ops/promotion/plan.js';

const plan = { image: 'app', stage: 'prod', planHash: 'sha256:p', source: { digest: 'sha256:d' } } as unknown as PromotionPlan;

describe('approval hooks', () => {
  let server: Server;
  let url: string;
  let sent = 0;
  let busyCalls = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/busy') {
        busyCalls++;
        res.writeHead(503).end('busy');
        return;
      }
      if (req.url === '/endless') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"approved": true, "reason": "');
        const chunk = Buffer.alloc(64 << 10, 'a');
        const pump = () => {
          while (sent < (64 << 20) && res.write(chunk)) sent += chunk.length;
          if (sent < (64 << 20)) res.once('drain', pump);
          else res.end('"}');
        };
        res.on('close', () => undefined);
        pump();
        return;
      }
      if (req.url === '/redirect') {
        res.writeHead(307, { location: '/ok' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ approved: true, by: 'release-bot' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a webhook answer is read up to 1 MiB: an endless body is cut there and is no approval', async () => {
    const d = await runWebhookHook({ type: 'webhook', url: `${url}/endless`, retries: 0 }, plan, {});
    expect(d.approved).toBe(false);
    expect(d.output.length).toBeLessThanOrEqual(4000);
    expect(sent).toBeLessThan(64 << 20);
  });

  it('a webhook that stays busy is asked exactly retries + 1 times through the one retry loop, then fails as a network error', async () => {
    busyCalls = 0;
    await expect(runWebhookHook({ type: 'webhook', url: `${url}/busy`, retries: 2 }, plan, {})).rejects.toMatchObject({
      code: 'E_NETWORK', message: expect.stringMatching(/no answer after 3 attempts \(HTTP 503\)/),
    });
    expect(busyCalls).toBe(3);
  });

  it('an aborted signal ends the webhook between retries with E_INTERRUPTED', async () => {
    busyCalls = 0;
    const controller = new AbortController();
    const run = runWebhookHook({ type: 'webhook', url: `${url}/busy`, retries: 5 }, plan, {}, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(run).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(busyCalls).toBeLessThan(6);
  });

  it('a redirect is not followed and is no approval', async () => {
    expect((await runWebhookHook({ type: 'webhook', url: `${url}/redirect`, retries: 0 }, plan, {})).approved).toBe(false);
    expect(await runWebhookHook({ type: 'webhook', url: `${url}/ok`, retries: 0 }, plan, {})).toMatchObject({ approved: true, by: 'release-bot' });
  });

  it('a command printing without end is cut at the cap and does not approve', async () => {
    const d = await runCommandHook({ type: 'command', command: 'yes approve; exit 0', timeout: 20 }, plan, process.env);
    expect(d.approved).toBe(false);
    expect(d.output.length).toBeLessThanOrEqual(4000);
  });
});
