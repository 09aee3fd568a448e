/**
 * The Preconnector against a real socket server: spares are dialled ahead (or adopted: a TCP socket
 * the caller opened), taken by the pool instead of dialling, never handed out once closed, and closed
 * when idle or when the client closes.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, Socket as NetSocket, type AddressInfo, type Socket } from 'node:net';
import { makeServerPki } from '../support/pki.js';
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

  it('an adopted socket, still connecting when adopted, carries the first request: nothing else is dialled', async () => {
    const pre = new Preconnector(buildConnector({}));
    const early = connect({ host: '127.0.0.1', port: Number(origin.port) });
    pre.adopt(origin, early);
    expect(pre.spareCount(origin)).toBe(1);
    const res = await agentWith(pre).request({ origin, path: '/adopted', method: 'GET' });
    expect(await res.body.text()).toBe('GET /adopted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.remotePort).toBe(early.localPort);
    pre.close();
  });

  it('an adopted socket to an https origin is upgraded to TLS by the pool\'s own connector (with its CA)', async () => {
    const pki = await makeServerPki();
    const tlsServer = createTlsServer({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) }, (req, res) => res.end(`tls ${req.url}`));
    const raw: Socket[] = [];
    tlsServer.on('connection', (s: Socket) => raw.push(s));
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    const tlsOrigin = new URL(`https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`);
    try {
      const pre = new Preconnector(buildConnector({ ca: pki.caPem }));
      const early = connect({ host: '127.0.0.1', port: Number(tlsOrigin.port) });
      pre.adopt(tlsOrigin, early);
      const a = new Agent({ connect: pre.connect });
      const res = await a.request({ origin: tlsOrigin, path: '/secure', method: 'GET' });
      expect(await res.body.text()).toBe('tls /secure');
      expect(raw).toHaveLength(1);
      expect(raw[0]!.remotePort).toBe(early.localPort);
      pre.close();
      await a.close();
    } finally {
      tlsServer.closeAllConnections();
      await new Promise((r) => tlsServer.close(r));
      await pki.remove();
    }
  });

  it('an adopted socket that cannot connect leaves the request to dial for itself', async () => {
    const pre = new Preconnector(buildConnector({}));
    const early = connect({ host: '127.0.0.1', port: 1 });
    early.on('error', () => {});
    pre.adopt(origin, early);
    const res = await agentWith(pre).request({ origin, path: '/redial', method: 'GET' });
    expect(await res.body.text()).toBe('GET /redial');
    expect(accepted).toHaveLength(1);
    pre.close();
  });

  it('an adopted socket that never connects is given up after the connect timeout, and the request dials', async () => {
    const pre = new Preconnector(buildConnector({}), 5_000, 50);
    // A connect that neither completes nor fails (a host that drops SYNs), without the kernel's wait.
    const stuck = new NetSocket();
    Object.defineProperty(stuck, 'connecting', { value: true });
    pre.adopt(origin, stuck);
    const res = await agentWith(pre).request({ origin, path: '/after-timeout', method: 'GET' });
    expect(await res.body.text()).toBe('GET /after-timeout');
    expect(stuck.destroyed).toBe(true);
    expect(accepted).toHaveLength(1);
    pre.close();
  });
});
