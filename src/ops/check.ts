/**
 * `regtopo check`: the topology against the live registries. For each registry: reachable, TLS
 * valid, its configured credentials accepted, and write authority real — an identity that must not
 * write (anonymous; for prod, replica and archive also the CI and sandbox credentials) opening an
 * upload session is a finding. Uploads are probed by starting a session and cancelling it; no
 * content is ever pushed. The audit fails closed: a probe that neither succeeds nor is plainly
 * refused (a 5xx, a dropped connection, a token service that errors) is a finding too, since write
 * authority it could not verify is not write authority it verified.
 */
import { staticCredentials, type CredentialProvider } from '../auth/credential.js';
import { isRegtopoError } from '../errors.js';
import { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { RegistrySpec, Topology } from '../topology/model.js';
import { clientForTopology, topologyCredentials } from './topology-client.js';
import { abortedOr, throwIfAborted } from '../transport/abort.js';

export interface CheckOptions {
  /** Repository (under each registry's namespace) used for upload probes. */
  probeRepository?: string;
  env?: NodeJS.ProcessEnv;
  logger?: (line: string) => void;
  /** Stops the audit (E_INTERRUPTED); an interruption is never reported as a finding. */
  signal?: AbortSignal;
}

export interface RegistryCheck {
  name: string;
  role: string;
  url: string;
  reachable: boolean;
  /** What the configured identity got from GET /v2/. */
  access: 'anonymous' | 'authenticated' | 'refused' | 'unreachable';
  /** Identities that could open an upload session. */
  writableBy: string[];
  findings: string[];
}

export interface CheckResult {
  registries: RegistryCheck[];
  findings: number;
}

// Roles whose content only regtopo's own flows may write.
const PROTECTED = new Set(['prod', 'replica', 'archive']);
/**
 * Answers to an upload probe that mean "this identity may not write here": unauthenticated,
 * forbidden, or pushes unsupported (a pull-through cache answers 405 UNSUPPORTED).
 */
const REFUSALS = new Set([401, 403, 405]);

export async function checkTopology(config: Topology, options: CheckOptions = {}): Promise<CheckResult> {
  const env = options.env ?? process.env;
  const probeRepo = options.probeRepository ?? 'regtopo-check/probe';
  const endpoints = [...Object.values(config.registries), ...Object.values(config.upstreams)];
  const named = topologyCredentials(endpoints, env);
  const own = clientForTopology(config, { env, logger: options.logger, retry: { attempts: 2 } });
  const anonymous = clientForTopology(config, { env, credentials: staticCredentials({}), retry: { attempts: 2 } });
  const borrowed: Array<{ who: string; client: RegistryClient }> = [];
  for (const r of Object.values(config.registries)) {
    if ((r.role === 'ci' || r.role === 'sandbox') && r.credentials) {
      borrowed.push({ who: `${r.name} credentials`, client: clientForTopology(config, { env, credentials: borrow(named, r.host), retry: { attempts: 2 } }) });
    }
  }
  try {
    const registries = await Promise.all(Object.values(config.registries).map((r) => checkOne(r, own, anonymous, borrowed, probeRepo, options.signal)));
    return { registries, findings: registries.reduce((n, r) => n + r.findings.length, 0) };
  } finally {
    await Promise.all([own.close(), anonymous.close(), ...borrowed.map((b) => b.client.close())]);
  }
}

/** Presents another registry's credentials to whichever host asks: "could CI's login push here?" */
function borrow(named: CredentialProvider, fromHost: string): CredentialProvider {
  return { get: () => named.get(fromHost) };
}

async function checkOne(
  r: RegistrySpec, own: RegistryClient, anonymous: RegistryClient, borrowed: Array<{ who: string; client: RegistryClient }>, probeRepo: string,
  signal: AbortSignal | undefined,
): Promise<RegistryCheck> {
  throwIfAborted(signal);
  const check: RegistryCheck = { name: r.name, role: r.role, url: r.url, reachable: false, access: 'unreachable', writableBy: [], findings: [] };
  try {
    const ping = await own.ping(r.host, { signal });
    check.reachable = true;
    if (ping.status === 200) check.access = r.credentials ? 'authenticated' : 'anonymous';
    else if (ping.status === 401 || ping.status === 403) {
      check.access = 'refused';
      check.findings.push(r.credentials ? 'configured credentials were refused' : 'requires credentials, none configured');
    } else check.findings.push(`GET /v2/ answered ${ping.status}`);
  } catch (err) {
    if (signal?.aborted) throw abortedOr(err, signal);
    if (isRegtopoError(err) && (err.code === 'E_UNAUTHORIZED' || err.code === 'E_DENIED')) {
      // A token service refusing the credentials: the registry is there, the login is not accepted.
      check.reachable = true;
      check.access = 'refused';
      check.findings.push('configured credentials were refused');
    } else if (isRegtopoError(err) && err.code === 'E_CONFIG') {
      // The registry answered; its credentials could not be used (a variable not set, a helper
      // failing, a token realm regtopo will not send them to).
      check.reachable = true;
      check.access = 'refused';
      check.findings.push(`credentials not usable: ${err.message}`);
    } else {
      check.findings.push(isRegtopoError(err) && (err.code === 'E_TLS' || err.code === 'E_NETWORK') ? err.message : `unreachable: ${(err as Error).message}`);
      return check;
    }
  }
  const repository = r.namespace ? `${r.namespace}/${probeRepo}` : probeRepo;
  const ref = Reference.of(r.host, repository);
  const identities = [{ who: 'anonymous', client: anonymous }, ...(PROTECTED.has(r.role) ? borrowed.filter((b) => !b.who.startsWith(`${r.name} `)) : [])];
  for (const { who, client } of identities) {
    try {
      const probe = await client.repository(ref, { signal }).probeUpload();
      if (probe.allowed) check.writableBy.push(who);
      else if (!REFUSALS.has(probe.status)) check.findings.push(`could not verify write authority as ${who}: upload probe answered HTTP ${probe.status}`);
    } catch (err) {
      if (signal?.aborted) throw abortedOr(err, signal);
      // Refused outright (401/403 from a token service) is the expected answer; anything else is not.
      if (isRegtopoError(err) && (err.code === 'E_UNAUTHORIZED' || err.code === 'E_DENIED')) continue;
      check.findings.push(`could not verify write authority as ${who}: ${(err as Error).message}`);
    }
  }
  const forbidden = r.role === 'sandbox' ? [] : check.writableBy;
  for (const who of forbidden) check.findings.push(`${who} can open an upload on ${r.role} registry "${r.name}" (write authority not enforced)`);
  return check;
}
