/** The `--key` flag of approve, reject and status set. */
import { homedir } from 'node:os';

/** `~/.ssh/id_ed25519` typed in quotes (or passed by a script) reaches us unexpanded. */
export function expandHome(path: string | undefined): string | undefined {
  if (!path) return path;
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}
