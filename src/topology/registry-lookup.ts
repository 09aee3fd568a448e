/**
 * Finding topology registries by name (what people type) and by address (what a reference says).
 * Addresses compare in canonical form, so Docker Hub's aliases all land on the same registry.
 */
import { RegtopoError } from '../errors.js';
import { Reference } from '../ref/reference.js';
import { hostIdentity } from '../ref/registry-host.js';
import type { RegistrySpec, Topology } from './model.js';
import { didYouMean } from './suggest.js';

/** Where an image is written: a Reference fits (its `registry` is already canonical). */
export interface RegistryAddress {
  /** host[:port] */
  registry: string;
  repository: string;
}

/** The registry named `name`; E_CONFIG naming the known ones when there is none. */
export function registryByName(config: Topology, name: string): RegistrySpec {
  const registry = config.registries[name];
  if (registry) return registry;
  const known = Object.keys(config.registries);
  throw new RegtopoError('E_CONFIG', `no registry "${name}" in the topology${didYouMean(name, known, `; known: ${known.join(', ')}`)}`);
}

/**
 * A reference to `repository` (optionally `:tag` and/or `@digest`) inside registry `name`, under its
 * namespace: resolveRegistryRef(cfg, 'prod', 'app:1.2') → 127.0.0.1:5104/team/app:1.2.
 */
export function resolveRegistryRef(config: Topology, name: string, repository: string): Reference {
  const registry = registryByName(config, name);
  let rest = repository;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const path = registry.namespace ? `${registry.namespace}/${rest}` : rest;
  return Reference.of(registry.host, path, tag, digest, `${name}/${repository}`);
}

/**
 * The topology registry an address belongs to: same canonical host[:port], and the repository
 * inside its namespace. The longest namespace wins when one endpoint hosts several registries.
 * Hosts compare by hostIdentity: localhost:5000 and 127.0.0.1:5000 are one registry, as are
 * registry.example:443 and registry.example, and Docker Hub under any of its names.
 */
export function registryForAddress(config: Topology, address: RegistryAddress): RegistrySpec | undefined {
  const host = hostIdentity(address.registry);
  let best: RegistrySpec | undefined;
  for (const registry of Object.values(config.registries)) {
    if (hostIdentity(registry.host) !== host || !inNamespace(address.repository, registry.namespace)) continue;
    if (!best || (registry.namespace?.length ?? 0) > (best.namespace?.length ?? 0)) best = registry;
  }
  return best;
}

function inNamespace(repository: string, namespace: string | undefined): boolean {
  return namespace === undefined || repository === namespace || repository.startsWith(`${namespace}/`);
}

/**
 * The lowest `limits.concurrency` among the topology registries the given addresses belong to: how
 * many parallel transfers a copy between them may run. Undefined when none sets a limit.
 */
export function concurrencyLimit(config: Topology, ...addresses: RegistryAddress[]): number | undefined {
  const limits = addresses.map((a) => registryForAddress(config, a)?.limits.concurrency).filter((n): n is number => n !== undefined);
  return limits.length ? Math.min(...limits) : undefined;
}
