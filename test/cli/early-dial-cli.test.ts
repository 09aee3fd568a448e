/**
 * The CLI opens a connection to each registry a copy names before it loads its bundle
 * (src/cli/early-dial.ts), and the client adopts it for its first request there: real registries
 * behind the counting proxy, which records every connection it accepts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countedRegistryPair, type CountedRegistryPair } from '../support/counted-registry-pair.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { registrySkipReason, type TestRegistry } from '../support/registry.js';
import { runCli } from './run-cli.js';

const skip = registrySkipReason();

describe.skipIf(skip)('connections opened at start-up', () => {
  let pair: CountedRegistryPair;
  let src: TestRegistry;
  let up: FaultProxy;
  let down: FaultProxy;

  beforeAll(async () => {
    pair = await countedRegistryPair();
    ({ src, up, down } = pair);
  });
  afterAll(() => pair?.stop());
  beforeEach(() => pair.reset());

  it('a copy adopts one connection per registry for its first requests, and opens no more than it did', async () => {
    const repo = uniqueRepo('early');
    await pushImage(src.url, repo, '1', buildImage({ layers: [4096, 8192] }));
    const copy = ['-v', 'copy', `${up.host}/${repo}:1`, `${down.host}/${repo}:1`];
    const first = await runCli(copy);
    expect(first.code).toBe(0);
    for (const host of [up.host, down.host]) expect(first.stderr).toContain(`using a connection to ${host} opened at start-up`);

    // The up-to-date copy: one HEAD per side, the source's on the one connection it opened.
    up.reset();
    down.reset();
    const again = await runCli(copy);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing copied');
    expect(up.requests.map((r) => r.method)).toEqual(['HEAD']);
    expect(up.connections).toHaveLength(1);
    expect(up.requests[0]!.clientPort).toBe(up.connections[0]!.clientPort);
    // The target: the adopted connection carries the HEAD; the copy's own second one stays a spare.
    expect(down.requests.map((r) => r.method)).toEqual(['HEAD']);
    expect(down.connections.length).toBeLessThanOrEqual(2);
    expect(down.requests[0]!.clientPort).toBe(down.connections[0]!.clientPort);
  });

  it('a reference without a registry host, or another command, opens nothing early', async () => {
    const r = await runCli(['-v', 'tags', `${up.host}/none`]);
    expect(r.stderr).not.toContain('opened at start-up');
    const local = await runCli(['-v', 'copy', 'oci:/nonexistent/layout:1', `${down.host}/x:1`]);
    // The layout is no registry: only the target is dialled.
    expect(local.stderr.match(/opened at start-up/g)).toEqual(['opened at start-up']);
    expect(local.stderr).toContain(`using a connection to ${down.host} opened at start-up`);
  });
});
