import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { RegtopoError } from '../../src/errors.js';
import { listTags } from '../../src/ops/list-tags.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

describe.skipIf(skip)('tag listing with Link pagination (paginated by a proxy in front of a real registry)', () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  const repo = uniqueRepo('paged');
  const tags = Array.from({ length: 23 }, (_, i) => `v${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    reg = await startTestRegistry('plain');
    proxy = await startFaultProxy(reg.url);
    client = new RegistryClient({ credentials: staticCredentials({}) });
    const image = buildImage({ layers: [10] });
    for (const t of tags) await pushImage(reg.url, repo, t, image);
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.stop();
    await reg?.stop();
  });

  it('follows relative and same-origin absolute next links to the end', async () => {
    for (const nextOrigin of ['', () => proxy.url]) {
      proxy.reset();
      proxy.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'paginateTags', pageSize: 5, nextOrigin: typeof nextOrigin === 'function' ? nextOrigin() : nextOrigin } });
      expect(await listTags(`${proxy.host}/${repo}`, { client })).toEqual(tags);
      expect(proxy.count('GET', /\/tags\/list$/)).toBe(5);
    }
  });

  it('refuses a next link to another origin', async () => {
    proxy.reset();
    proxy.addRule({ method: 'GET', path: /\/tags\/list$/, fault: { kind: 'paginateTags', pageSize: 5, nextOrigin: 'http://127.0.0.2:9' } });
    const err = (await listTags(`${proxy.host}/${repo}`, { client }).catch((e: unknown) => e)) as RegtopoError;
    expect(err.code).toBe('E_REGISTRY');
    expect(err.message).toContain('refusing pagination link to another origin http://127.0.0.2:9');
  });
});
