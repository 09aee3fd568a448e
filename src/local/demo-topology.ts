/**
 * The demo's topology: the example registries.yaml shipped with regtopo, with every loopback
 * registry (and the Docker Hub stand-in of its `test` environment) started locally on a free port
 * and the file's URLs pointed at them, so the demo never collides with anything on the machine.
 */
import { readFile } from 'node:fs/promises';
import { parseTopology, requireValidTopology } from '../topology/load.js';
import type { Topology } from '../topology/model.js';
import { startLocalRegistry, type LocalRegistry } from './local-registry.js';

export const DEMO_ENVIRONMENT = 'test';

export interface DemoTopology {
  config: Topology;
  /** The file text as used, with the real ports. */
  text: string;
  /** Started registries by their original loopback address (e.g. 127.0.0.1:5104). */
  started: Map<string, LocalRegistry>;
  stop(): Promise<void>;
}

export async function startDemoTopology(): Promise<DemoTopology> {
  const original = await readFile(new URL('../../registries.yaml', import.meta.url), 'utf8');
  const addresses = [...new Set([...original.matchAll(/http:\/\/(127\.0\.0\.1:\d+)/g)].map((m) => m[1]!))];
  const started = new Map<string, LocalRegistry>();
  const stop = async () => {
    await Promise.all([...started.values()].map((r) => r.stop()));
  };
  try {
    const registries = await Promise.all(addresses.map(() => startLocalRegistry({ storage: 'inmemory' })));
    addresses.forEach((a, i) => started.set(a, registries[i]!));
  } catch (err) {
    await stop();
    throw err;
  }
  const text = original.replace(/http:\/\/(127\.0\.0\.1:\d+)/g, (whole, addr: string) => started.get(addr)?.url ?? whole);
  const config = requireValidTopology(parseTopology(text, 'registries.yaml', { env: DEMO_ENVIRONMENT }));
  return { config, text, started, stop };
}
