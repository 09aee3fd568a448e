/**
 * Docker credential helpers (`docker-credential-<name> get`): the protocol that keychains, pass,
 * ecr-login, gcloud and Docker Desktop speak. The helper's stdout carries the secret, so it never
 * reaches an error message; stderr is reduced to one scrubbed line.
 */

import { RegtopoError } from '../errors.js';
import { runWithTimeout, type RunResult } from '../process/run-with-timeout.js';
import { canonicalHost, credentialKey } from '../ref/registry-host.js';
import type { Credential, CredentialProvider } from './credential.js';

export interface CredentialHelperOptions {
  /** Environment for the helper; its PATH is also where the binary is looked up. */
  env?: NodeJS.ProcessEnv;
  /** Keychain prompts can block forever; a stuck helper must not hang a whole copy. */
  timeoutMs?: number;
}

export const DEFAULT_HELPER_TIMEOUT_MS = 10_000;
/** Real answers are a few hundred bytes; anything far larger is not a credential. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** What the docker-credential-helpers library prints when it has no entry for a server. */
const NOT_FOUND = /credentials not found/i;
/** Username a helper returns to say Secret is an identity (refresh) token, not a password. */
const TOKEN_USERNAME = '<token>';

/**
 * A provider backed by one helper. Answers (including "none") are kept for the provider's lifetime
 * and concurrent lookups of one host share a single helper run: a copy touching many repositories
 * would otherwise pop a keychain prompt, or spawn a slow cloud CLI, once per request. Failures are
 * not kept, so a later lookup can retry, e.g. after a keychain is unlocked.
 */
export function credentialHelper(name: string, opts: CredentialHelperOptions = {}): CredentialProvider {
  const cache = new Map<string, Promise<Credential | undefined>>();
  return {
    get(host) {
      const key = canonicalHost(host);
      let pending = cache.get(key);
      if (!pending) {
        pending = runCredentialHelper(name, key, opts);
        cache.set(key, pending);
        pending.catch(() => {
          if (cache.get(key) === pending) cache.delete(key);
        });
      }
      return pending;
    },
  };
}

/** Runs the helper once, uncached. Resolves undefined when the helper has no entry for the host. */
export async function runCredentialHelper(
  name: string,
  host: string,
  opts: CredentialHelperOptions = {},
): Promise<Credential | undefined> {
  const program = `docker-credential-${name}`;
  // The name comes from a config file; keep it a bare program name resolved on PATH.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new RegtopoError('E_CONFIG', `invalid credential helper name ${JSON.stringify(name)}`);
  }
  const canonical = canonicalHost(host);
  const result = await execHelper(program, credentialKey(canonical), opts, canonical);
  const what = `credential helper ${program} for ${canonical}`;

  if (result.code !== 0) {
    if (NOT_FOUND.test(result.stdout) || NOT_FOUND.test(result.stderr)) return undefined;
    const line = scrubLine(firstLine(result.stderr), secretsIn(result.stdout));
    const status = result.signal ? `signal ${result.signal}` : `exit code ${result.code}`;
    throw new RegtopoError('E_CONFIG', `${what} failed (${status})${line ? `: ${line}` : ''}`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new RegtopoError('E_CONFIG', `${what} returned output that is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new RegtopoError('E_CONFIG', `${what} returned output that is not a JSON object`);
  }
  const { Username: username, Secret: secret } = parsed as Record<string, unknown>;
  if ((username !== undefined && typeof username !== 'string') || (secret !== undefined && typeof secret !== 'string')) {
    throw new RegtopoError('E_CONFIG', `${what} returned Username or Secret that is not a string`);
  }
  if (!username && !secret) return undefined;
  if (username === TOKEN_USERNAME) return { identityToken: secret };
  return { username, password: secret };
}

interface HelperResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `program get` with the server URL on stdin, through the one child runner (process/run-with-timeout.ts). */
async function execHelper(
  program: string,
  serverUrl: string,
  opts: CredentialHelperOptions,
  host: string,
): Promise<HelperResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const what = `credential helper ${program} for ${host}`;
  let result: RunResult;
  try {
    // No shell: nothing in the name or URL is ever interpreted. A helper's process group is killed
    // on timeout, so a keychain prompt's children do not outlive it either.
    result = await runWithTimeout(program, { args: ['get'], input: serverUrl, env: opts.env ?? process.env, timeoutMs, outputLimit: MAX_OUTPUT_BYTES, what });
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    if (cause?.code === 'ENOENT') throw new RegtopoError('E_CONFIG', `credential helper ${program} not found on PATH (needed for ${host})`);
    if (cause) throw new RegtopoError('E_CONFIG', `${what} could not be run (${cause.code ?? 'unknown error'})`);
    throw err;
  }
  if (result.timedOut) throw new RegtopoError('E_CONFIG', `${what} timed out after ${timeoutMs} ms`);
  if (result.truncated) throw new RegtopoError('E_CONFIG', `${what} produced more than ${MAX_OUTPUT_BYTES} bytes of output`);
  return { code: result.exitCode, signal: result.signal, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
}

function firstLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

/**
 * Words of a failed helper's stdout long enough to be a secret: a helper that echoes its answer to
 * stderr as well must not leak it through the one line we keep.
 */
function secretsIn(stdout: string): string[] {
  const words = new Set<string>();
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (parsed && typeof parsed === 'object') {
      for (const v of Object.values(parsed)) if (typeof v === 'string' && v.length >= 4) words.add(v);
    }
  } catch {
    // Not JSON: fall back to its words.
  }
  for (const w of stdout.split(/[\s"',{}]+/)) if (w.length >= 8) words.add(w);
  return [...words].sort((a, b) => b.length - a.length);
}

/**
 * Best effort, erring towards over-redaction: known secrets, anything after a secret-sounding key,
 * and long token-like runs (base64, JWTs, hex) are replaced before the line is shown to anyone.
 */
export function scrubLine(line: string, knownSecrets: readonly string[] = []): string {
  let s = line;
  for (const secret of knownSecrets) s = s.split(secret).join('[REDACTED]');
  s = s.replace(/("?(?:secret|password|passwd|token|auth\w*)"?\s*[:=]\s*)("[^"]*"?|\S+)/gi, '$1[REDACTED]');
  s = s.replace(/[A-Za-z0-9+/_.=-]{20,}/g, '[REDACTED]');
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
