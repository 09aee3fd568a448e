/**
 * A RegistryClient configured from a topology: each registry's and upstream's scheme (an `http://`
 * url is plain http), CA and `insecure` (https without certificate verification), and credentials resolved from the references the file names (env vars, a
 * credential helper, docker config). Secrets are read when a request needs them, never stored in
 * the config.
 */
import type { Credential, CredentialProvider } from '../auth/credential.js';
import { chainCredentials } from '../auth/credential.js';
import { credentialHelper } from '../auth/credential-helper.js';
import { dockerConfigCredentials } from '../auth/docker-config.js';
import { RegtopoError } from '../errors.js';
import { canonicalHost } from '../ref/registry-host.js';
import { RegistryClient, type HostOptions, type RegistryClientOptions } from '../registry/registry-client.js';
import type { CredentialSource, Endpoint, Topology } from '../topology/model.js';

export interface TopologyClientOptions extends Omit<RegistryClientOptions, 'hosts' | 'credentials'> {
  /** Where `env` credential references are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Fallback for hosts whose topology entry names no credentials; default docker config. */
  fallbackCredentials?: CredentialProvider;
  /** Replaces the topology's credentials altogether (audits probe as other identities). */
  credentials?: CredentialProvider;
}

export function clientForTopology(config: Topology, options: TopologyClientOptions = {}): RegistryClient {
  const endpoints: Endpoint[] = [...Object.values(config.registries), ...Object.values(config.upstreams)];
  const hosts: Record<string, HostOptions> = {};
  for (const e of endpoints) hosts[e.host] = { scheme: e.scheme, caFile: e.ca, insecure: e.insecure || undefined };
  const { env, fallbackCredentials, credentials, ...clientOptions } = options;
  // One docker config reader serves both `dockerConfig: true` entries and the default fallback.
  const docker = dockerConfigCredentials({ env });
  const resolved = credentials ?? chainCredentials(topologyCredentials(endpoints, env ?? process.env, docker), fallbackCredentials ?? docker);
  return new RegistryClient({ ...clientOptions, hosts, credentials: resolved });
}

/** Credentials as the topology references them, per canonical host; undefined where none are named. */
export function topologyCredentials(
  endpoints: Endpoint[],
  env: NodeJS.ProcessEnv = process.env,
  docker: CredentialProvider = dockerConfigCredentials({ env }),
): CredentialProvider {
  const byHost = new Map<string, CredentialSource>();
  for (const e of endpoints) if (e.credentials) byHost.set(canonicalHost(e.host), e.credentials);
  const helpers = new Map<string, CredentialProvider>();
  return {
    async get(host: string): Promise<Credential | undefined> {
      const source = byHost.get(canonicalHost(host));
      if (!source) return undefined;
      switch (source.type) {
        case 'env': {
          const username = env[source.usernameVar];
          const password = env[source.passwordVar];
          if (username === undefined || password === undefined) {
            const missing = [source.usernameVar, source.passwordVar].filter((v) => env[v] === undefined).join(', ');
            throw new RegtopoError('E_CONFIG', `credentials for ${host}: environment variable ${missing} not set`);
          }
          return { username, password };
        }
        case 'helper': {
          let helper = helpers.get(source.helper);
          if (!helper) helpers.set(source.helper, (helper = credentialHelper(source.helper, { env })));
          return helper.get(host);
        }
        case 'docker-config':
          return docker.get(host);
      }
    },
  };
}
