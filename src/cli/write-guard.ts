/**
 * Topology write authority for ad-hoc commands: when a topology file is in play (-f, or
 * ./registries.yaml), copy and tag into registries whose role forbids such writes are refused
 * before anything is sent. Loaded lazily: no topology, no import.
 */
import type { Location } from '../ref/location.js';
import type { Topology } from '../topology/model.js';

export async function writeGuard(topology: Topology | undefined, operation: 'copy' | 'tag'): Promise<((target: Location) => void) | undefined> {
  if (!topology) return undefined;
  const { writeGuard: guardFor } = await import('../topology/write-authority.js');
  return guardFor(topology, operation);
}
