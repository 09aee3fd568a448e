/**
 * What a bandwidth-bound copy across a WAN depends on, read from the request timeline on loopback:
 * each blob streams (its upload starts before its download ends, so one blob crosses both links at
 * once instead of one after the other), transfers run in parallel up to the jobs limit, and
 * connections are reused (no new TCP slow start per request).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { copy, DEFAULT_JOBS } from '../../src/ops/copy.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { peakConcurrency, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();
const LAYERS = 8;

describe.skipIf(skip)('copy timeline: streamed, parallel, on reused connections', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let up: FaultProxy;
  let down: FaultProxy;
  let client: RegistryClient;

  beforeAll(async () => {
    [src, dst] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain')]);
    [up, down] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    client = new RegistryClient({ credentials: staticCredentials({}) });
  });
  afterAll(async () => {
    await client?.close();
    await Promise.all([up?.stop(), down?.stop()]);
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  it(`a cold copy of ${LAYERS} × 1 MiB layers over slow downloads: uploads start while their downloads still run, in parallel, on reused connections`, async () => {
    const repo = uniqueRepo('timeline');
    const image = buildImage({ layers: Array.from({ length: LAYERS }, () => 1 << 20) });
    await pushImage(src.url, repo, '1', image);
    up.reset();
    down.reset();
    // A download that takes 2 s, as across a slow link: an upload that waited for it would start after.
    up.addRule({ method: 'GET', path: /\/blobs\/sha256:/, fault: { kind: 'slowBody', bytesPerSecond: 512 << 10 } });
    const r = await copy(`${up.host}/${repo}:1`, `${down.host}/${repo}:1`, { client });
    expect(r.blobs.copied).toBe(LAYERS + 1);
    const gets = up.requests.filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path));
    const puts = down.requests.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/'));
    expect(gets).toHaveLength(LAYERS + 1);
    const overlap = image.layers.map((layer) => {
      const get = gets.find((q) => q.path.endsWith(layer.digest))!;
      const put = puts.find((q) => new URLSearchParams(q.query).get('digest') === layer.digest)!;
      return { put: put.startedAt - get.startedAt, getEnd: (get.endedAt ?? Infinity) - get.startedAt };
    });
    for (const o of overlap) expect(o.put).toBeLessThan(o.getEnd);
    expect(peakConcurrency(down.requests, (q) => q.method === 'PUT')).toBeGreaterThanOrEqual(Math.min(LAYERS, DEFAULT_JOBS) - 1);
    const ports = (p: FaultProxy) => new Set(p.requests.map((q) => q.clientPort)).size;
    // Connections are kept and reused: no more downloads' connections than parallel jobs (the
    // manifest reads reuse one), and on the target at least two requests per connection.
    expect(ports(up)).toBeLessThanOrEqual(DEFAULT_JOBS + 1);
    expect(ports(down)).toBeLessThanOrEqual(down.requests.length / 2);
  });
});
