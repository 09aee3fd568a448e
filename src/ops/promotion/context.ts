/**
 * What every promotion operation shares: the topology, one RegistryClient, who is acting, the
 * clock, and lookups from topology names (image, stage, registry) to repositories.
 */
import { userInfo } from 'node:os';
import { RegtopoError } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { Descriptor } from '../../registry/descriptor.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import type { PromotedImageSpec, PromotionStageSpec, Topology } from '../../topology/model.js';
import { resolveRegistryRef } from '../../topology/registry-lookup.js';
import { assertWriteAllowed } from '../../topology/write-authority.js';
import { didYouMean } from '../../topology/suggest.js';
import { resolveKeys, type TrustedKey } from '../../signing/trusted-keys.js';
import { DEFAULT_CLOCK_SKEW_MS } from '../../topology/model.js';

export interface PromotionContext {
  topology: Topology;
  client: RegistryClient;
  /** Who is acting, recorded in every record; default $REGTOPO_USER, else the OS user. */
  by?: string;
  /** Clock, for tests; default Date.now. */
  now?: () => number;
  /** Where webhook header variables are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cancels hooks and waits (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
}

const keyCache = new WeakMap<Topology, Map<string, TrustedKey>>();

/**
 * The topology's keys, parsed (key files read) once per topology object. An unreadable or invalid
 * key is an E_CONFIG error naming it: trust that cannot be read must not silently become "no keys".
 */
export function trustedKeys(topology: Topology): Map<string, TrustedKey> {
  let keys = keyCache.get(topology);
  if (!keys) {
    keys = resolveKeys(topology.keys);
    keyCache.set(topology, keys);
  }
  return keys;
}

/** promotion.clockSkew, or its default of 5 minutes. */
export function clockSkewOf(topology: Topology | undefined): number {
  return topology?.promotion.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
}

export function actor(ctx: PromotionContext): string {
  if (ctx.by) return ctx.by;
  const env = ctx.env ?? process.env;
  if (env.REGTOPO_USER) return env.REGTOPO_USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function nowOf(ctx: PromotionContext): number {
  return ctx.now ? ctx.now() : Date.now();
}

export function findImage(topology: Topology, name: string): PromotedImageSpec {
  return findNamed(topology.promotion.images, name, 'image');
}

export function findStage(topology: Topology, name: string): PromotionStageSpec {
  return findNamed(topology.promotion.stages, name, 'stage');
}

function findNamed<T extends { name: string }>(items: T[], name: string, what: string): T {
  const found = items.find((i) => i.name === name);
  if (found) return found;
  const known = items.map((i) => i.name);
  throw new RegtopoError('E_USAGE', `no promotion ${what} "${name}" in the topology${didYouMean(name, known, `; known: ${known.join(', ') || 'none'}`)}`);
}

/** The image's reference (no tag) inside the registry named `registry`, under its namespace. */
export function imageRef(topology: Topology, registry: string, image: PromotedImageSpec): Reference {
  return resolveRegistryRef(topology, registry, image.repository);
}

/** Throws E_POLICY unless the topology lets promotion write into `ref`'s registry. */
export function authorizePromotionWrite(topology: Topology | undefined, ref: { registry: string; repository: string }): void {
  if (topology) assertWriteAllowed(topology, ref, 'promote');
}

/** Throws E_POLICY unless `status set` may write into `ref`'s registry (sandbox and ci only). */
export function authorizeStatusWrite(topology: Topology | undefined, ref: { registry: string; repository: string }): void {
  if (topology) assertWriteAllowed(topology, ref, 'status');
}

/** HEAD `reference` in `repo`: its descriptor, or E_NOT_FOUND naming what was asked. */
export async function resolveDescriptor(repo: RegistryRepository, reference: string): Promise<Descriptor> {
  const head = await repo.headManifest(reference);
  if (!head) throw new RegtopoError('E_NOT_FOUND', `${repo.description}:${reference}: manifest not found`);
  return { mediaType: head.mediaType, digest: head.digest, size: head.size };
}

export function parseRef(input: string | Reference): Reference {
  return typeof input === 'string' ? Reference.parse(input) : input;
}
