/**
 * Real SSH keys for signature tests, made by the machine's ssh-keygen (no passphrase), and the
 * allowed-signers file `ssh-keygen -Y verify` wants, for cross-checks against OpenSSH itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TestKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface TestKey {
  /** Private key file (its public half is `${privateFile}.pub`). */
  privateFile: string;
  publicFile: string;
  /** The public key line as a topology holds it. */
  line: string;
}

export function makeSshKey(type: TestKeyType = 'ed25519', comment = `${type}@regtopo-test`): TestKey {
  const dir = mkdtempSync(join(tmpdir(), 'regtopo-key-'));
  const privateFile = join(dir, `id_${type}`);
  const args = ['-q', '-t', type, '-N', '', '-C', comment, '-f', privateFile];
  if (type === 'ecdsa') args.push('-b', '256');
  if (type === 'rsa') args.push('-b', '3072');
  execFileSync('ssh-keygen', args);
  return { privateFile, publicFile: `${privateFile}.pub`, line: readFileSync(`${privateFile}.pub`, 'utf8').trim() };
}

/** `ssh-keygen -Y sign` of `message` in `namespace`: the armored signature. */
export function sshKeygenSign(key: TestKey, namespace: string, message: Buffer | string): string {
  return execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', key.privateFile, '-n', namespace], { input: message, stdio: ['pipe', 'pipe', 'ignore'] }).toString('utf8');
}

/** Whether OpenSSH itself accepts `signature` of `message` by `key` as `identity` in `namespace`. */
export function sshKeygenVerifies(key: TestKey, identity: string, namespace: string, message: Buffer | string, signature: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'regtopo-verify-'));
  writeFileSync(join(dir, 'allowed'), `${identity} ${key.line}\n`);
  writeFileSync(join(dir, 'sig'), signature);
  try {
    execFileSync('ssh-keygen', ['-Y', 'verify', '-f', join(dir, 'allowed'), '-I', identity, '-n', namespace, '-s', join(dir, 'sig')], { input: message, stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  }
}
