/**
 * The topology for commands that work with or without one (copy, tag, inspect, tags): loaded when
 * `-f` names a file or ./registries.yaml exists, so its write authority, schemes, CAs and credential
 * references apply; absent otherwise. An invalid file is an error, never silently ignored.
 */
import type { Topology } from '../topology/model.js';
import type { GlobalOptions } from './output.js';

export async function optionalTopology(opts: GlobalOptions): Promise<Topology | undefined> {
  const { locateTopologyFile } = await import('../topology/locate.js');
  const path = locateTopologyFile(opts.file);
  if (path === undefined) return undefined;
  const { loadValidTopology } = await import('./topology-cache.js');
  return loadValidTopology(path, opts.env);
}
