/**
 * Which topology file a command reads: `-f FILE`, else ./registries.yaml when present. Commands
 * that cannot work without one (validate, graph) fail with E_CONFIG saying how to provide it.
 */
import { RegtopoError } from '../errors.js';

export async function requireTopologyPath(file: string | undefined): Promise<string> {
  const { locateTopologyFile } = await import('../topology/locate.js');
  const path = locateTopologyFile(file);
  if (path === undefined) throw new RegtopoError('E_CONFIG', 'no topology file: pass -f FILE or create ./registries.yaml');
  return path;
}
