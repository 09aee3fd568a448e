import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { listCatalog } from '../../src/registry/catalog.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startCatalogProxy, type CatalogProxy } from '../support/catalog-proxy.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

describe.skipIf(skip)('repository catalog (/v2/_catalog) against a real registry, hostile answers from a proxy', () => {
  let reg: TestRegistry;
  let proxy: CatalogProxy;
  let client: RegistryClient;
  const repos = [uniqueRepo('cat'), uniqueRepo('cat'), uniqueRepo('cat'), uniqueRepo('cat'), uniqueRepo('cat')].sort();

  beforeAll(async () => {
    reg = await startTestRegistry('plain');
    proxy = await startCatalogProxy(reg.url);
    client = new RegistryClient({ credentials: staticCredentials({}) });
    for (const r of repos) await pushImage(reg.url, r, '1', buildImage({ layers: [10] }));
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.stop();
    await reg?.stop();
  });

  it('follows the registry\'s own Link pages to the end, every repository once', async () => {
    proxy.rewrite = undefined;
    for (const pageSize of [1, 2, 1000]) expect(await listCatalog(client, proxy.host, { pageSize })).toEqual(repos);
  });

  it('skips and reports entries that are not repository names before they can become paths', async () => {
    proxy.rewrite = { repositories: (listed) => [...listed, '../../v2/secret', 'UPPER/case', 'a//b', '', 42, 'ok/but space'] };
    const invalid: string[] = [];
    const names = await listCatalog(client, proxy.host, { onInvalidName: (raw) => invalid.push(raw) });
    expect(names).toEqual(repos);
    expect(invalid).toEqual(['../../v2/secret', 'UPPER/case', 'a//b', '', '42', 'ok/but space']);
  });

  it('refuses a pagination link to another origin', async () => {
    proxy.rewrite = { link: '<http://127.0.0.2:9/v2/_catalog?last=x&n=2>; rel="next"' };
    await expect(listCatalog(client, proxy.host)).rejects.toMatchObject({ code: 'E_REGISTRY', message: expect.stringContaining('refusing pagination link to another origin http://127.0.0.2:9') });
  });
});
