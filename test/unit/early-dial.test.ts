/**
 * The CLI's start-up connections (src/cli/early-dial.ts) against a real socket server: one per
 * registry a copy names, none for what is not a reference with a registry, and an unclaimed one
 * closed after its time while a claimed one stays open for as long as its client uses it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dialEarly } from '../../src/cli/early-dial.js';

describe('dialEarly', () => {
  let server: Server;
  let host: string;
  const accepted: Socket[] = [];

  beforeEach(async () => {
    accepted.length = 0;
    server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const s of accepted) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('one connection per registry a copy or tag names; options, layouts and Docker Hub names open none', () => {
    const copy = dialEarly(['-o', 'json', 'copy', '--platform', 'linux/amd64', 'oci:/some/layout:1', `${host}/a/b:1`, `${host}/c:2`, 'library/alpine:3']);
    expect(copy.map((e) => [e.registry, e.port])).toEqual([[host, Number(host.split(':')[1])]]);
    const tag = dialEarly(['tag', 'registry.invalid.test:5999/app:1', 'v2']);
    expect(tag.map((e) => [e.registry, e.port])).toEqual([['registry.invalid.test:5999', 5999]]);
    expect(dialEarly(['tags', `${host}/a`])).toEqual([]);
    for (const e of [...copy, ...tag]) e.socket.destroy();
  });

  it('without a port: 443, or 80 under --plain-http and for loopback hosts', () => {
    const https = dialEarly(['copy', 'registry.invalid.test/a:1']);
    const plain = dialEarly(['copy', '--plain-http', 'registry.invalid.test/a:1', 'localhost/b:1']);
    expect(https.map((e) => e.port)).toEqual([443]);
    expect(plain.map((e) => [e.registry, e.port])).toEqual([['registry.invalid.test', 80], ['localhost', 80]]);
    for (const e of [...https, ...plain]) e.socket.destroy();
  });

  it('an unclaimed connection is closed after 5 s; a claimed one stays open', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const [claimed] = dialEarly(['copy', `${host}/a:1`]);
    const [unclaimed] = dialEarly(['copy', `${host}/b:1`]);
    claimed!.claim();
    vi.advanceTimersByTime(5_001);
    expect(unclaimed!.socket.destroyed).toBe(true);
    expect(claimed!.socket.destroyed).toBe(false);
    claimed!.socket.destroy();
  });
});
