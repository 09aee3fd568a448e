/**
 * Which topology file is in play: `-f FILE`, else ./registries.yaml when present. Kept apart from the
 * loader so commands can ask cheaply: the loader brings zod and yaml (~120 ms of start-up), which a
 * copy in a directory without a topology never needs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const DEFAULT_TOPOLOGY_FILE = 'registries.yaml';

/**
 * The topology file a command should use: `-f` as given, else ./registries.yaml when it exists,
 * else undefined (commands that need one say so; copy and tag then run without write authority).
 */
export function locateTopologyFile(explicit: string | undefined, cwd: string = process.cwd()): string | undefined {
  if (explicit) return explicit;
  const candidate = resolve(cwd, DEFAULT_TOPOLOGY_FILE);
  return existsSync(candidate) ? DEFAULT_TOPOLOGY_FILE : undefined;
}
