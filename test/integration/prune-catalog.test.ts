import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/auth/credential.js';
import { readCatalog } from '../../src/registry/catalog.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { startHostileCatalog } from '../support/hostile-catalog.js';
import { buildImage, pushImage, uniqueRepo } from '../support/images.js';
import { registrySkipReason, startTestRegistry, type TestRegistry } from '../support/registry.js';

const skip = registrySkipReason();

describe.skipIf(skip)('prune reads /v2/_catalog capped, paginated same-origin only, names validated', () => {
  let plain: TestRegistry;
  let locked: TestRegistry;
  const repos: string[] = [];
  beforeAll(async () => {
    [plain, locked] = await Promise.all([startTestRegistry('plain'), startTestRegistry('htpasswd')]);
    for (let i = 0; i < 5; i++) {
      const repo = uniqueRepo(`cat${i}`);
      repos.push(repo);
      await pushImage(plain.url, repo, 'latest', buildImage({ layers: [32] }));
    }
    await pushImage(locked.url, 'team/app', 'latest', buildImage({ layers: [32] }), { auth: { username: locked.username!, password: locked.password! } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([plain?.stop(), locked?.stop()]);
  });

  it('follows Distribution\'s own Link pagination page by page', async () => {
    const lines: string[] = [];
    const client = new RegistryClient({ credentials: staticCredentials({}), logger: (l) => lines.push(l) });
    try {
      const scan = await readCatalog(client, plain.host, { pageSize: 2 });
      expect(scan.read).toBe(true);
      expect([...scan.repositories].sort()).toEqual([...repos].sort());
      expect(scan.invalid).toEqual([]);
      // 5 repositories, 2 per page: 3 pages (plus the empty page Distribution may link to last).
      expect(lines.filter((l) => l.includes('/v2/_catalog')).length).toBeGreaterThanOrEqual(3);
    } finally {
      await client.close();
    }
  });

  it('a catalog that refuses us (htpasswd, no credentials) is reported as not read; with credentials it is read', async () => {
    const anonymous = new RegistryClient({ credentials: staticCredentials({}) });
    const alice = new RegistryClient({ credentials: staticCredentials({ [locked.host]: { username: locked.username!, password: locked.password! } }) });
    try {
      expect(await readCatalog(anonymous, locked.host)).toEqual({ read: false, reason: '401 from /v2/_catalog', repositories: [], invalid: [] });
      expect(await readCatalog(alice, locked.host)).toMatchObject({ read: true, repositories: ['team/app'] });
    } finally {
      await Promise.all([anonymous.close(), alice.close()]);
    }
  });
});

describe('prune\'s catalog reader against a hostile server', () => {
  const client = new RegistryClient({ credentials: staticCredentials({}) });
  afterAll(() => client.close());

  it('skips names that are not repository paths before they can become request paths', async () => {
    const names = ['ok/app', '../../v2/secret', 'UPPER', 'a//b', 'x'.repeat(300), 'team/app%2f..', 7, null, 'fine'];
    const server = await startHostileCatalog([{ body: JSON.stringify({ repositories: names }) }]);
    try {
      const scan = await readCatalog(client, server.host);
      expect(scan.repositories).toEqual(['ok/app', 'fine']);
      expect(scan.invalid).toHaveLength(7);
    } finally {
      await server.stop();
    }
  });

  it('follows a same-origin next link and refuses one to another origin', async () => {
    const other = await startHostileCatalog([{ body: JSON.stringify({ repositories: ['stolen'] }) }]);
    const server = await startHostileCatalog([
      { body: JSON.stringify({ repositories: ['a'] }), next: '/v2/_catalog?page=1' },
      { body: JSON.stringify({ repositories: ['b'] }), next: `${other.url}/v2/_catalog?page=0` },
    ]);
    try {
      await expect(readCatalog(client, server.host)).rejects.toThrow(`refusing pagination link to another origin ${other.url}`);
      expect(server.requests).toEqual(['/v2/_catalog?n=1000', '/v2/_catalog?page=1']);
      expect(other.requests).toEqual([]);
    } finally {
      await Promise.all([server.stop(), other.stop()]);
    }
  });

  it('caps a page at the list-page limit (4 MiB) and says so', async () => {
    const huge = JSON.stringify({ repositories: Array.from({ length: 300_000 }, (_, i) => `repo-${i}-padding-padding`) });
    expect(huge.length).toBeGreaterThan(4 << 20);
    const server = await startHostileCatalog([{ body: huge }]);
    try {
      await expect(readCatalog(client, server.host)).rejects.toMatchObject({ code: 'E_REGISTRY', message: expect.stringMatching(/exceeds the 4194304-byte limit/) });
    } finally {
      await server.stop();
    }
  });
});
