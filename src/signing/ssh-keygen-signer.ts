/**
 * Signing with the user's own SSH key through `ssh-keygen -Y sign` (OpenSSH ≥ 8.1): the private key,
 * its passphrase prompt and the agent all stay with OpenSSH; regtopo never reads a private key.
 * `--key` may name a private key file, or a public key file while SSH_AUTH_SOCK names an agent
 * holding its private half (ssh-keygen then asks the agent). The message goes in on stdin and the
 * armored signature comes back on stdout.
 */
import { readFile } from 'node:fs/promises';
import { RegtopoError } from '../errors.js';
import { runWithTimeout } from '../process/run-with-timeout.js';
import { parsePublicKey, type PublicKeyInfo } from './public-key.js';
import { parseSshSignature, verifySshSignature } from './sshsig.js';

export interface SignOptions {
  /** Private key file, or a public key file (.pub) whose private half is in the agent. */
  keyFile: string;
  namespace: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The ssh-keygen program; default `ssh-keygen` on PATH. */
  sshKeygen?: string;
}

export interface Signed {
  signature: string;
  /** The key that made it (from the signature itself). */
  publicKey: PublicKeyInfo;
}

// A passphrase prompt on a terminal or an agent confirming with the user can take a while.
const SIGN_TIMEOUT_MS = 120_000;
const SIGNATURE_OUTPUT_LIMIT = 64 << 10;

export async function signWithSshKeygen(message: Buffer, options: SignOptions): Promise<Signed> {
  const env = options.env ?? process.env;
  if (options.keyFile.endsWith('.pub') && !env.SSH_AUTH_SOCK) {
    throw new RegtopoError('E_USAGE', `--key ${options.keyFile} is a public key: signing with it needs an ssh-agent holding its private key (SSH_AUTH_SOCK is not set)`);
  }
  await readFile(options.keyFile).catch((err: NodeJS.ErrnoException) => {
    throw new RegtopoError('E_USAGE', `cannot read --key ${options.keyFile}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  const r = await runWithTimeout(options.sshKeygen ?? 'ssh-keygen', {
    args: ['-q', '-Y', 'sign', '-f', options.keyFile, '-n', options.namespace],
    input: message, env, timeoutMs: SIGN_TIMEOUT_MS, outputLimit: SIGNATURE_OUTPUT_LIMIT, signal: options.signal, what: 'ssh-keygen -Y sign',
  });
  if (r.exitCode !== 0) {
    const why = r.stderr.toString('utf8').trim().split('\n').filter((l) => !/^Signing data on standard input/.test(l)).join('; ').slice(0, 300);
    throw new RegtopoError('E_USAGE', `ssh-keygen could not sign with ${options.keyFile}${r.timedOut ? ' (timed out)' : ''}: ${why || `exit ${r.exitCode ?? r.signal}`}`);
  }
  const signature = r.stdout.toString('utf8').trim();
  let parsed;
  try {
    parsed = parseSshSignature(signature);
  } catch (err) {
    throw new RegtopoError('E_INTERNAL', `ssh-keygen -Y sign wrote something that is not an SSH signature: ${(err as Error).message}`);
  }
  // Check our own work: a signature that does not verify here would not count anywhere.
  if (!verifySshSignature(parsed, options.namespace, message)) throw new RegtopoError('E_INTERNAL', 'ssh-keygen made a signature that does not verify');
  return { signature, publicKey: parsed.publicKey };
}

/** The public key of a --key argument without signing (to name the approver before asking). */
export async function publicKeyOfKeyFile(keyFile: string): Promise<PublicKeyInfo | undefined> {
  const pub = keyFile.endsWith('.pub') ? keyFile : `${keyFile}.pub`;
  try {
    return parsePublicKey(await readFile(pub, 'utf8'));
  } catch {
    return undefined;
  }
}
