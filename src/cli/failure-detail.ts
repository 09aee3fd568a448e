/**
 * Turns "not found" into what to do next. A registry always answers a missing thing with a spec
 * error code (NAME_UNKNOWN, MANIFEST_UNKNOWN, BLOB_UNKNOWN, distribution-spec "error codes"); a
 * bare 404 or a HEAD that finds nothing may instead mean the host is not a registry at all. So
 * when a command fails that way, the hosts involved are asked `GET /v2/` once (a registry answers
 * 200 or 401), and for the source the tag list says which part is missing: the repository, or the
 * tag in a repository that exists.
 */
import { isRegtopoError, RegistryError, RegtopoError } from '../errors.js';
import type { Reference } from '../ref/reference.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { CredentialSource, Topology } from '../topology/model.js';

/** Registry references among command arguments (oci: layouts and unparsable ones are left out). */
export async function registryRefs(...args: string[]): Promise<Reference[]> {
  const { parseLocation } = await import('../ref/location.js');
  const refs: Reference[] = [];
  for (const a of args) {
    try {
      const loc = parseLocation(a);
      if (loc.kind === 'registry') refs.push(loc.ref);
    } catch {
      // Its own error is reported elsewhere.
    }
  }
  return refs;
}

function unexpected(err: unknown): boolean {
  if (err instanceof RegistryError) return err.specErrors.length === 0 && (err.status === 404 || err.status === 405);
  return isRegtopoError(err) && err.code === 'E_NOT_FOUND';
}

/**
 * The error to report for `err`: a clearer one when a probe explains it, else `err` itself.
 * `source` is the reference whose absence the user most likely asked about; `others` are only
 * checked for being registries.
 */
export async function explainFailure(err: unknown, client: RegistryClient, source: Reference | undefined, others: Reference[] = []): Promise<unknown> {
  const notFound = isRegtopoError(err) && err.code === 'E_NOT_FOUND';
  if (!unexpected(err) && !notFound) return err;
  // Distribution answers MANIFEST_UNKNOWN for a manifest of a repository it has never seen, so
  // even a coded "not found" gets the tag-list probe below; only an uncoded one the /v2/ probe.
  const hosts = [...new Set([source, ...others].filter((r): r is Reference => r !== undefined).map((r) => r.registry))];
  for (const host of unexpected(err) ? hosts : []) {
    const status = await client.ping(host).then((p) => p.status, () => undefined);
    if (status !== undefined && status !== 200 && status !== 401) {
      return new RegtopoError('E_NETWORK', `${host} is not a container registry (GET /v2/ → ${status}); check the host and port`, { cause: err });
    }
  }
  if (!source || !notFound) return err;
  const { listTags } = await import('../ops/list-tags.js');
  const where = `${source.registry}/${source.repository}`;
  let tags: string[];
  try {
    tags = await listTags(where, { client });
  } catch (probe) {
    if (isRegtopoError(probe) && probe.code === 'E_NOT_FOUND') {
      return new RegtopoError('E_NOT_FOUND', `${source.toString()}: repository ${source.repository} does not exist on ${source.registry} (NAME_UNKNOWN); check the repository path`, { cause: err });
    }
    return err;
  }
  if (source.tag !== undefined && !tags.includes(source.tag)) {
    const some = tags.slice(0, 5).join(', ');
    const list = tags.length === 0 ? 'it has no tags' : `its tags: ${some}${tags.length > 5 ? `, … (${tags.length}; regtopo tags ${where})` : ''}`;
    return new RegtopoError('E_NOT_FOUND', `tag ${source.tag} not found in repository ${where} (MANIFEST_UNKNOWN; ${list})`, { cause: err });
  }
  if (source.digest !== undefined) {
    return new RegtopoError('E_NOT_FOUND', `manifest ${source.digest} not found in repository ${where}, which exists (MANIFEST_UNKNOWN)`, { cause: err });
  }
  return err;
}

/**
 * An auth failure with where the credentials came from, whether there were any, and the fix.
 * Only the source is named (a file and key, a helper, the topology's variables), never a value.
 */
export async function explainAuthFailure(err: unknown, refs: Reference[], topology: Topology | undefined): Promise<unknown> {
  if (!isRegtopoError(err) || (err.code !== 'E_UNAUTHORIZED' && err.code !== 'E_DENIED') || refs.length === 0) return err;
  const ref = refs.find((r) => err.message.includes(r.registry)) ?? refs[0]!;
  const host = ref.registry;
  const named = topology && Object.values(topology.registries).find((r) => r.host === host && r.credentials && r.credentials.type !== 'docker-config');
  let tried: string;
  let had: boolean;
  if (named) {
    tried = `the credentials registries.yaml names for ${named.name} (${describeTopologyCredentials(named.credentials)})`;
    had = true;
  } else {
    const { dockerConfigCredentials, dockerConfigPath } = await import('../auth/docker-config.js');
    const cred = await dockerConfigCredentials().get(host).catch(() => undefined);
    had = cred !== undefined;
    tried = cred?.source ?? `none: ${dockerConfigPath()} has no entry, credHelpers or credsStore for ${host}, so the request was anonymous`;
  }
  const verdict = err.code === 'E_DENIED' ? 'authenticated, but not allowed' : had ? 'refused' : 'missing';
  const fix = named ? 'check those variables' : `run: docker login ${host}`;
  return new RegtopoError(err.code, `${err.message} (credentials ${verdict}; tried ${tried}; ${fix})`, { cause: err });
}

function describeTopologyCredentials(source: CredentialSource | undefined): string {
  if (source?.type === 'env') return `environment variables ${source.usernameVar} and ${source.passwordVar}`;
  if (source?.type === 'helper') return `credential helper docker-credential-${source.helper}`;
  return 'the docker config';
}
