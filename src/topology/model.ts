/**
 * The loaded topology as the rest of regtopo sees it: defaults filled in, the chosen environment
 * applied, endpoints split into scheme and canonical host. Built only by normalise.ts and overlay.ts,
 * so every consumer reads the same resolved values.
 */
import type { Role, EnvironmentFileEntry } from './schema.js';
import type { ApprovalSpec, PromotionGate } from './schema-promotion.js';
import type { SignatureGateSpec } from './signature-gate.js';

export type { Role } from './schema.js';

/** Where credentials come from. The secret itself is only ever read at request time. */
export type CredentialSource =
  | { type: 'env'; usernameVar: string; passwordVar: string }
  | { type: 'helper'; helper: string }
  | { type: 'docker-config' };

export interface Endpoint {
  /** scheme://host[:port] as the API is reached (Docker Hub keeps its API host here). */
  url: string;
  scheme: 'http' | 'https';
  /** Canonical host[:port], the form Reference.registry uses (Docker Hub aliases → docker.io). */
  host: string;
  ca?: string;
  insecure: boolean;
  credentials?: CredentialSource;
}

export type BackupTarget = { kind: 'oci'; dir: string } | { kind: 'registry'; registry: string };

export interface RegistrySpec extends Endpoint {
  name: string;
  role: Role;
  /** Path prefix without surrounding slashes; undefined when repositories sit at the root. */
  namespace?: string;
  limits: { concurrency?: number };
  /** prod only: listed replicas plus replicas naming this registry in replicaOf. */
  replicas: string[];
  backup?: BackupTarget;
  /** replica only: as written, or the prod that lists it. */
  replicaOf?: string;
  description?: string;
  /** sandbox and ci only: what `regtopo prune` may delete. */
  retention?: RetentionSpec;
}

/** A registry's retention policy; an absent part does not restrict. */
export interface RetentionSpec {
  keepNewest?: number;
  /** As written (e.g. `30d`), and in milliseconds. */
  olderThan?: string;
  olderThanMs?: number;
  keep: string[];
}

export interface UpstreamSpec extends Endpoint {
  name: string;
  description?: string;
}

export interface PromotedImageSpec {
  name: string;
  repository: string;
  source: string;
}

export interface PromotionStageSpec {
  name: string;
  from: string;
  to: string;
  tags: string[];
  /** Tag templates set in the target; default [stage name]. */
  targetTags: string[];
  /** Target tags allowed to move; every other target tag is immutable. */
  movingTags: string[];
  /** Status gates. */
  gates: PromotionGate[];
  /** Signature gates (issue 14), written in the same `gates:` list; absent = none. */
  signatureGates?: SignatureGateSpec[];
  approval?: ApprovalSpec;
  description?: string;
}

export interface MirrorRuleSpec {
  name: string;
  upstream: string;
  repository: string;
  target: string;
  /** Repository inside the target registry (and under its namespace). */
  path: string;
  tags: string[];
  include: string[];
  exclude: string[];
  semver?: string;
  newest?: number;
  /** Empty: every platform the upstream index lists. */
  platforms: string[];
  pins: Record<string, string>;
  freeze: boolean;
}

/**
 * A trusted public key from `keys:`. Inline lines are checked when the topology is parsed; a file is
 * only named here (parsing does no I/O) and read by the loader and by whoever verifies signatures.
 */
export interface KeySpec {
  name: string;
  /** The OpenSSH public key line as written inline. */
  key?: string;
  /** Path of the key file: as written, resolved against the topology file's directory. */
  file?: string;
  /** The path as written in the topology (for messages). */
  fileAsWritten?: string;
}

/** Two records of one status dated within this much of each other count as simultaneous. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

export interface Topology {
  version: 1;
  /** The environment overlay applied, if any. */
  environment?: string;
  registries: Record<string, RegistrySpec>;
  upstreams: Record<string, UpstreamSpec>;
  /** Every overlay as written, so tools can list and check them. */
  environments: Record<string, EnvironmentFileEntry>;
  promotion: {
    images: PromotedImageSpec[];
    stages: PromotionStageSpec[];
    /** promotion.clockSkew in milliseconds; absent = DEFAULT_CLOCK_SKEW_MS. */
    clockSkewMs?: number;
  };
  /** Trusted keys by name (`keys:`); absent or empty when the topology declares none. */
  keys?: Record<string, KeySpec>;
  mirrors: { rules: MirrorRuleSpec[] };
}
