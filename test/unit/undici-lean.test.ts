/**
 * The CLI bundle replaces undici's package root with scripts/undici-lean.cjs. These tests fail when a
 * new undici moves the files the stand-in requires, when the stand-in stops behaving like the root
 * for what regtopo uses, or when src/ starts importing a root name the stand-in lacks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as undici from 'undici';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the bundle stand-in for undici', () => {
  it('resolves every undici module it requires and exports what src/ imports from the root', () => {
    const lean = require(join(root, 'scripts/undici-lean.cjs')) as Record<string, unknown>;
    const imported = new Set<string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'undici';/gm)) {
        if (m[1]) continue;
        for (const part of m[2]!.split(',')) {
          const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
          if (name && !part.trim().startsWith('type ')) imported.add(name);
        }
      }
    }
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) expect(lean[name], `scripts/undici-lean.cjs lacks ${name}`).toBeDefined();
    expect(lean.Agent).toBe(undici.Agent);
    expect(lean.buildConnector).toBe(undici.buildConnector);
  });

  it('gives its Agent the same request API as the package root', async () => {
    const lean = require(join(root, 'scripts/undici-lean.cjs')) as { Agent: typeof undici.Agent };
    const server = createServer((req, res) => res.end(`${req.method} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new lean.Agent();
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await agent.request({ origin, path: '/v2/', method: 'GET' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('GET /v2/');
    } finally {
      await agent.close();
      server.close();
    }
  });

  it('keeps fetch and WebSocket out of the CLI bundle', () => {
    const bundle = readFileSync(join(root, 'dist/cli/main.bundle.cjs'), 'latin1');
    expect(bundle).toContain('undici-lean');
    expect(bundle).not.toMatch(/lib\/web\/websocket/);
    expect(bundle).not.toMatch(/lib\/web\/fetch\/index\.js/);
  });
});
