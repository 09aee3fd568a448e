/**
 * Defaults and derived fields, in one place: the predefined Docker Hub upstream, empty lists,
 * endpoint scheme/host, replica links written on either side. Pure; runs after the schema passed.
 */
import { resolve as resolvePath } from 'node:path';
import { canonicalHost, DOCKER_HUB_ENDPOINT } from '../ref/registry-host.js';
import type { Endpoint, CredentialSource, KeySpec, MirrorRuleSpec, RegistrySpec, Topology, UpstreamSpec } from './model.js';
import type { CredentialsSpec } from './schema-fields.js';
import type { RegistryFileEntry, TopologyFile, UpstreamFileEntry } from './schema.js';
import type { MirrorRule } from './schema-mirrors.js';
import type { GateEntry, PromotionGate } from './schema-promotion.js';
import type { SignatureGateSpec } from './signature-gate.js';
import { parseDuration, type RetentionFileEntry } from './schema-retention.js';
import type { RetentionSpec } from './model.js';

export const DOCKERHUB_UPSTREAM = 'dockerhub';
export const DEFAULT_DOCKERHUB_URL = `https://${DOCKER_HUB_ENDPOINT}`;

export function normaliseTopology(file: TopologyFile): Topology {
  const registries: Record<string, RegistrySpec> = {};
  for (const [name, entry] of Object.entries(file.registries)) registries[name] = normaliseRegistry(name, entry);
  linkReplicas(registries);

  const upstreams: Record<string, UpstreamSpec> = {
    [DOCKERHUB_UPSTREAM]: normaliseUpstream(DOCKERHUB_UPSTREAM, { url: DEFAULT_DOCKERHUB_URL, description: 'Docker Hub' }),
  };
  for (const [name, entry] of Object.entries(file.upstreams ?? {})) upstreams[name] = normaliseUpstream(name, entry);

  return {
    version: 1,
    registries,
    upstreams,
    environments: file.environments ?? {},
    keys: normaliseKeys(file.keys),
    promotion: {
      ...(file.promotion?.clockSkew !== undefined && { clockSkewMs: durationMs(file.promotion.clockSkew) }),
      images: (file.promotion?.images ?? []).map((i) => ({ ...i })),
      stages: (file.promotion?.stages ?? []).map((s) => {
        const signatureGates = normaliseSignatureGates(s.gates ?? []);
        return {
          ...s,
          tags: [...s.tags],
          targetTags: s.targetTags ? [...s.targetTags] : [s.name],
          movingTags: s.movingTags ? [...s.movingTags] : [...DEFAULT_MOVING_TAGS, s.name],
          gates: statusGates(s.gates ?? []),
          ...(signatureGates.length ? { signatureGates } : {}),
        };
      }),
    },
    mirrors: { rules: (file.mirrors?.rules ?? []).map(normaliseMirrorRule) },
  };
}

/** Target tags that may move when a stage names no movingTags (plus the stage's own name). */
export const DEFAULT_MOVING_TAGS = ['latest', 'tested', 'stable'] as const;

/** scheme://host[:port] → the endpoint fields; the schema already guaranteed the URL's shape. */
export function endpointFromUrl(url: string): Pick<Endpoint, 'url' | 'scheme' | 'host'> {
  const parsed = new URL(url);
  return {
    url: `${parsed.protocol}//${parsed.host}`,
    scheme: parsed.protocol === 'http:' ? 'http' : 'https',
    host: canonicalHost(parsed.host),
  };
}

export function normaliseCredentials(spec: CredentialsSpec | undefined): CredentialSource | undefined {
  if (!spec) return undefined;
  if (spec.env) return { type: 'env', usernameVar: spec.env.username, passwordVar: spec.env.password };
  if (spec.helper) return { type: 'helper', helper: spec.helper };
  return { type: 'docker-config' };
}

function normaliseRegistry(name: string, entry: RegistryFileEntry): RegistrySpec {
  const namespace = entry.namespace;
  const backupTarget = entry.backup?.target;
  return {
    name,
    role: entry.role,
    ...endpointFromUrl(entry.url),
    ...(entry.ca !== undefined && { ca: entry.ca }),
    insecure: entry.insecure ?? false,
    ...(entry.credentials && { credentials: normaliseCredentials(entry.credentials) }),
    ...(namespace !== undefined && { namespace }),
    limits: { ...(entry.limits?.concurrency !== undefined && { concurrency: entry.limits.concurrency }) },
    replicas: [...(entry.replicas ?? [])],
    ...(backupTarget !== undefined && {
      backup: backupTarget.startsWith('oci:') ? { kind: 'oci' as const, dir: backupTarget.slice(4) } : { kind: 'registry' as const, registry: backupTarget },
    }),
    ...(entry.replicaOf !== undefined && { replicaOf: entry.replicaOf }),
    ...(entry.description !== undefined && { description: entry.description }),
    ...(entry.retention !== undefined && { retention: normaliseRetention(entry.retention) }),
  };
}

function normaliseRetention(entry: RetentionFileEntry): RetentionSpec {
  const olderThanMs = entry.olderThan !== undefined ? parseDuration(entry.olderThan) : undefined;
  return {
    ...(entry.keepNewest !== undefined && { keepNewest: entry.keepNewest }),
    ...(entry.olderThan !== undefined && { olderThan: entry.olderThan }),
    ...(olderThanMs !== undefined && { olderThanMs }),
    keep: [...(entry.keep ?? [])],
  };
}

/** A replica may be declared from either side; both sides end up naming each other. */
function linkReplicas(registries: Record<string, RegistrySpec>): void {
  const all = Object.values(registries);
  for (const prod of all) {
    if (prod.role !== 'prod') continue;
    for (const replica of all) {
      if (replica.role === 'replica' && replica.replicaOf === prod.name && !prod.replicas.includes(replica.name)) prod.replicas.push(replica.name);
    }
  }
  for (const replica of all) {
    if (replica.role !== 'replica' || replica.replicaOf !== undefined) continue;
    const owner = all.find((r) => r.role === 'prod' && r.replicas.includes(replica.name));
    if (owner) replica.replicaOf = owner.name;
  }
}

function normaliseUpstream(name: string, entry: UpstreamFileEntry): UpstreamSpec {
  return {
    name,
    ...endpointFromUrl(entry.url),
    ...(entry.ca !== undefined && { ca: entry.ca }),
    insecure: entry.insecure ?? false,
    ...(entry.credentials && { credentials: normaliseCredentials(entry.credentials) }),
    ...(entry.description !== undefined && { description: entry.description }),
  };
}

function normaliseMirrorRule(rule: MirrorRule): MirrorRuleSpec {
  return {
    name: rule.name,
    upstream: rule.upstream ?? DOCKERHUB_UPSTREAM,
    repository: rule.repository,
    target: rule.target,
    path: rule.path ?? rule.repository,
    tags: rule.tags ?? [],
    include: rule.include ?? [],
    exclude: rule.exclude ?? [],
    ...(rule.semver !== undefined && { semver: rule.semver }),
    ...(rule.newest !== undefined && { newest: rule.newest }),
    platforms: rule.platforms ?? [],
    pins: { ...(rule.pins ?? {}) },
    freeze: rule.freeze ?? false,
  };
}

/** The status gates of a `gates:` list, in order (the schema guaranteed each has a status). */
function statusGates(entries: GateEntry[]): PromotionGate[] {
  return entries.flatMap((g) => (g.signature === undefined && g.status !== undefined ? [{
    status: g.status,
    ...(g.equals !== undefined && { equals: g.equals }),
    ...(g.in !== undefined && { in: [...g.in] }),
    ...(g.signedBy !== undefined && { signedBy: [...g.signedBy] }),
  }] : []));
}

/** The signature gates of a `gates:` list, each with its index there (for messages). */
function normaliseSignatureGates(entries: GateEntry[]): SignatureGateSpec[] {
  return entries.flatMap((g, at): SignatureGateSpec[] => {
    const sig = g.signature;
    if (!sig) return [];
    if (sig.key !== undefined) return [{ kind: 'key', key: sig.key, at }];
    // The schema guaranteed identity and trustedRoot; the path is made absolute by the loader.
    return [{ kind: 'keyless', issuer: sig.identity!.issuer, subject: sig.identity!.subject, trustedRoot: sig.trustedRoot!, trustedRootAsWritten: sig.trustedRoot!, at }];
  });
}

/**
 * Paths in the topology (key files, trusted roots) are relative to the topology file: a join, no
 * I/O. `base` is the file's directory.
 */
export function resolveTopologyPaths(config: Topology, base: string): void {
  for (const spec of Object.values(config.keys ?? {})) {
    if (spec.fileAsWritten !== undefined) spec.file = resolvePath(base, spec.fileAsWritten);
  }
  for (const stage of config.promotion.stages) {
    for (const gate of stage.signatureGates ?? []) {
      if (gate.kind === 'keyless') gate.trustedRoot = resolvePath(base, gate.trustedRootAsWritten);
    }
  }
}

function normaliseKeys(keys: TopologyFile['keys']): Record<string, KeySpec> {
  const out: Record<string, KeySpec> = {};
  for (const [name, spec] of Object.entries(keys ?? {})) {
    out[name] = typeof spec === 'string' ? { name, key: spec.trim() } : { name, file: spec.file, fileAsWritten: spec.file };
  }
  return out;
}

/** 300 → 300 000 ms; "5m" → 300 000 ms. The schema already checked the shape. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const n = Number(value.slice(0, -1));
  return n * { s: 1000, m: 60_000, h: 3_600_000 }[value.slice(-1) as 's' | 'm' | 'h'];
}
