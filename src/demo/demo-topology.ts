/**
 * The demo's topology: the example registries.yaml shipped with regtopo, as it is, with two
 * changes a local run needs, both said in the narration: every loopback registry (and the Docker
 * Hub stand-in of its `test` environment) runs locally on a free port, and the `keys:` of alice,
 * bob and the scanner are keys generated for this run. The result is written to a directory of its
 * own (registries.yaml, keys/, backups/), so each printed command can be replayed by hand.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTopology, requireValidTopology } from '../topology/load.js';
import type { Topology } from '../topology/model.js';
import { demoCommand, type DemoCommand } from './demo-command.js';
import { demoKey, type DemoKey } from './demo-keys.js';
import { startLocalRegistry, type LocalRegistry } from './local-registry.js';

export const DEMO_ENVIRONMENT = 'test';
const KEY_NAMES = ['alice', 'bob', 'scanner'] as const;

export interface DemoTopology {
  config: Topology;
  /** The file text as used, with the real ports and the generated keys. */
  text: string;
  /** Where it is written: `dir`/registries.yaml. */
  file: string;
  dir: string;
  env: string;
  keys: Record<(typeof KEY_NAMES)[number], DemoKey>;
  /** Started registries by their original loopback address (e.g. 127.0.0.1:5104). */
  started: Map<string, LocalRegistry>;
  /** Formats the CLI line of a step (with -f and --env). */
  command: DemoCommand;
  /** A registry outside the topology (e.g. the empty one a backup is restored into), stopped with the rest. */
  startExtra(): Promise<LocalRegistry>;
  /** Rewrites the file and reloads the config (the demo's own pins, see mirror-demo.ts). */
  rewrite(text: string): Promise<void>;
  /** Stops every registry and removes the directory. */
  stop(): Promise<void>;
}

export async function startDemoTopology(): Promise<DemoTopology> {
  const original = await readFile(new URL('../../registries.yaml', import.meta.url), 'utf8');
  const addresses = [...new Set([...original.matchAll(/http:\/\/(127\.0\.0\.1:\d+)/g)].map((m) => m[1]!))];
  const started = new Map<string, LocalRegistry>();
  const extras: LocalRegistry[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'regtopo-demo-'));
  const stop = async () => {
    await Promise.all([...started.values(), ...extras].map((r) => r.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(join(dir, 'keys'));
    const keys = Object.fromEntries(await Promise.all(KEY_NAMES.map(async (n) => [n, await demoKey(join(dir, 'keys'), n)] as const))) as DemoTopology['keys'];
    const registries = await Promise.all(addresses.map(() => startLocalRegistry({ storage: 'inmemory' })));
    addresses.forEach((a, i) => started.set(a, registries[i]!));
    const text = original
      .replace(/http:\/\/(127\.0\.0\.1:\d+)/g, (whole, addr: string) => started.get(addr)?.url ?? whole)
      .replace(/^(\s+)(alice|bob|scanner): ssh-ed25519 .*$/gm, (_l, indent: string, name: (typeof KEY_NAMES)[number]) => `${indent}${name}: ${keys[name].line}`);
    const file = join(dir, 'registries.yaml');
    const demo: DemoTopology = {
      config: load(text, file), text, file, dir, env: DEMO_ENVIRONMENT, keys, started,
      command: demoCommand(file, DEMO_ENVIRONMENT),
      startExtra: async () => {
        const r = await startLocalRegistry({ storage: 'inmemory' });
        extras.push(r);
        return r;
      },
      rewrite: async (next) => {
        demo.config = load(next, file);
        demo.text = next;
        await writeFile(file, next);
      },
      stop,
    };
    await writeFile(file, text);
    return demo;
  } catch (err) {
    await stop();
    throw err;
  }
}

function load(text: string, file: string): Topology {
  return requireValidTopology(parseTopology(text, file, { env: DEMO_ENVIRONMENT }));
}
