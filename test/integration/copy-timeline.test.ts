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

  it(`a cold copy of ${LAYERS} × 4 MiB layers: uploads start while their downloads still run, in parallel, on ≤ jobs+2 connections a side`, async () => {
    const repo = uniqueRepo('timeline');
    const image = buildImage({ layers: Array.from({ length: LAYERS }, () => 4 << 20) });
    await pushImage(src.url, repo, '1', image);
    up.reset();
    down.reset();
    const r = await copy(`${up.host}/${repo}:1`, `${down.host}/${repo}:1`, { client });
    expect(r.blobs.copied).toBe(LAYERS + 1);
    const gets = up.requests.filter((q) => q.method === 'GET' && /\/blobs\/sha256:/.test(q.path));
    const puts = down.requests.filter((q) => q.method === 'PUT' && q.path.includes('/blobs/uploads/'));
    expect(gets).toHaveLength(LAYERS + 1);
    const overlap = image.layers.map((layer) => {
      const get = gets.find((q) => q.path.endsWith(layer.digest))!;
      const put = puts.find((q) => new URLSearchParams(q.query).get('digest') === layer.digest)!;
      return { put: put.startedAt - get.startedAt, getEnd: get.endedAt! - get.startedAt, putEnd: put.endedAt! - get.startedAt };
    });
    // Loopback socket buffers can swallow a whole 4 MiB download before the upload session is open,
    // so not every blob shows it; a copy that downloaded first and uploaded after would show none.
    expect(overlap.filter((o) => o.put < o.getEnd).length).toBeGreaterThanOrEqual(LAYERS / 2);
    for (const o of overlap) expect(o.putEnd).toBeGreaterThanOrEqual(o.getEnd);
    expect(peakConcurrency(down.requests, (q) => q.method === 'PUT')).toBeGreaterThanOrEqual(Math.min(LAYERS, DEFAULT_JOBS) - 1);
    const ports = (p: FaultProxy) => new Set(p.requests.map((q) => q.clientPort)).size;
    expect(ports(up)).toBeLessThanOrEqual(DEFAULT_JOBS + 2);
    expect(ports(down)).toBeLessThanOrEqual(DEFAULT_JOBS + 2);
  });
});
