/**
 * Throwaway key material made with the `openssl` CLI: a CA and a loopback server certificate for TLS
 * registries, and a token-signing key whose certificate goes into the registry's `rootcertbundle`.
 * Everything lives in a fresh temp dir; `remove()` deletes it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerPki {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  caPem: string;
  remove(): Promise<void>;
}

export interface TokenSigningPki {
  dir: string;
  keyPem: string;
  certPem: string;
  /** The certificate alone, ready to be the registry's `rootcertbundle`. */
  certFile: string;
  remove(): Promise<void>;
}

// Short validity keeps a leaked test key useless; a day covers any test run.
const DAYS = '2';

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}

/** A CA plus a server certificate valid for 127.0.0.1 and localhost, signed by that CA. */
export async function makeServerPki(): Promise<ServerPki> {
  const dir = await mkdtemp(join(tmpdir(), 'regtopo-pki-'));
  await openssl(dir, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', DAYS,
    '-subj', '/CN=regtopo test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  // Go (the registry) and Node both ignore the CN: the SAN list is what makes the cert match.
  await writeFile(
    join(dir, 'server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl(dir, [
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', DAYS, '-extfile', 'server.ext',
  ]);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    caPem: await readFile(join(dir, 'ca.pem'), 'utf8'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An RSA key and a self-signed certificate for it: the token server signs, the registry trusts. */
export async function makeTokenSigningPki(): Promise<TokenSigningPki> {
  const dir = await mkdtemp(join(tmpdir(), 'regtopo-token-pki-'));
  await openssl(dir, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'signing.key', '-out', 'signing.crt', '-days', DAYS,
    '-subj', '/CN=regtopo test token issuer',
  ]);
  return {
    dir,
    keyPem: await readFile(join(dir, 'signing.key'), 'utf8'),
    certPem: await readFile(join(dir, 'signing.crt'), 'utf8'),
    certFile: join(dir, 'signing.crt'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Base64 of a PEM certificate's DER bytes: the form a JWT `x5c` entry takes. */
export function pemToDerBase64(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error('no certificate in PEM');
  return match[1].replace(/\s+/g, '');
}
