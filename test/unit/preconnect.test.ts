/**
 * The Preconnector against a real socket server: spares are dialled ahead, taken by the pool instead
 * of dialling, never handed out once closed, and closed when idle or when the client closes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, buildConnector } from 'undici';
import { Preconnector } from '../../src/transport/preconnect.js';

const until = async (check: () => boolean, ms = 2_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Preconnector', () => {
  let server: Server;
  let origin: URL;
  const accepted: Socket[] = [];
  let agent: Agent | undefined;

  beforeEach(async () => {
    accepted.length = 0;
    server = createServer((req, res) => setTimeout(() => res.end(`${req.method} ${req.url}`), 20));
    server.on('connection', (s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const agentWith = (pre: Preconnector) => (agent = new Agent({ connections: 16, connect: pre.connect }));

  it('a burst of requests rides the spares dialled for it: no connection is dialled at request time', async () => {
    const pre = new Preconnector(buildConnector({}));
    pre.open(origin, 3);
    await until(() => accepted.length === 3);
    const a = agentWith(pre);
    const bodies = await Promise.all([1, 2, 3].map(async (i) => (await a.request({ origin, path: `/v2/${i}`, method: 'GET' })).body.text()));
    expect(bodies).toEqual(['GET /v2/1', 'GET /v2/2', 'GET /v2/3']);
    expect(accepted).toHaveLength(3);
    expect(pre.spareCount(origin)).toBe(0);
    pre.close();
  });

  it('a request sent while its spare is still dialling waits for that spare instead of dialling another', async () => {
    const pre = new Preconnector(buildConnector({}));
    pre.open(origin, 2);
    const a = agentWith(pre);
    const [x, y] = await Promise.all(['/x', '/y'].map(async (p) => (await a.request({ origin, path: p, method: 'GET' })).body.text()));
    expect([x, y]).toEqual(['GET /x', 'GET /y']);
    expect(accepted).toHaveLength(2);
    pre.close();
  });

  it('a spare the server closed is never handed out: the request dials a fresh connection', async () => {
    const pre = new Preconnector(buildConnector({}));
    pre.open(origin, 2);
    await until(() => accepted.length === 2);
    for (const s of accepted) s.destroy();
    await until(() => pre.spareCount(origin) === 0);
    const res = await agentWith(pre).request({ origin, path: '/after-close', method: 'GET' });
    expect(await res.body.text()).toBe('GET /after-close');
    expect(accepted).toHaveLength(3);
    pre.close();
  });

  it('spares nobody takes are closed after the idle time, and by close()', async () => {
    const idle = new Preconnector(buildConnector({}), 50);
    idle.open(origin, 2);
    await until(() => accepted.length === 2);
    await until(() => accepted.every((s) => s.closed) && idle.spareCount(origin) === 0);

    const closing = new Preconnector(buildConnector({}));
    closing.open(origin, 3);
    await until(() => accepted.length === 5);
    closing.close();
    await until(() => accepted.slice(2).every((s) => s.closed));
    expect(closing.spareCount(origin)).toBe(0);
    // After close() the pool dials as usual, and nothing more is dialled ahead.
    closing.open(origin, 4);
    const res = await agentWith(closing).request({ origin, path: '/later', method: 'GET' });
    expect(await res.body.text()).toBe('GET /later');
    expect(accepted).toHaveLength(6);
  });

  it('a spare that cannot connect leaves the request to meet the real error, as without a preconnector', async () => {
    const dead = new URL(origin.href);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    const pre = new Preconnector(buildConnector({}));
    pre.open(dead, 1);
    const err = await agentWith(pre).request({ origin: dead, path: '/', method: 'GET' }).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).toBe('ECONNREFUSED');
    expect(pre.spareCount(dead)).toBe(0);
    // afterEach closes the server again.
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
});
