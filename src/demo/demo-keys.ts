/**
 * Throwaway ed25519 keys for the demo (ssh-keygen, no passphrase): what alice, bob and the scanner
 * would have in ~/.ssh. The example topology's `keys:` name them; the demo swaps in these public
 * halves, since nobody has the private halves of the example's keys.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runWithTimeout } from '../process/run-with-timeout.js';

export interface DemoKey {
  /** Path of the private key, for `--key`. */
  privateFile: string;
  /** The public key line (`ssh-ed25519 AAAA… name@regtopo-demo`). */
  line: string;
}

export async function demoKey(dir: string, name: string): Promise<DemoKey> {
  const privateFile = join(dir, name);
  const r = await runWithTimeout('ssh-keygen', { args: ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@regtopo-demo`, '-f', privateFile], timeoutMs: 30_000, outputLimit: 4096, what: 'ssh-keygen' });
  if (r.exitCode !== 0) throw new Error(`ssh-keygen could not make the demo key: ${r.stderr.toString().trim()}`);
  return { privateFile, line: (await readFile(`${privateFile}.pub`, 'utf8')).trim() };
}
