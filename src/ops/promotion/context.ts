/**
 * What every promotion operation shares: the topology, one RegistryClient, who is acting, the
 * clock, and lookups from topology names (image, stage, registry) to repositories. The public verbs
 * (verbs.ts) take PromotionOptions; promotionContext() below is the one place their defaults are
 * resolved into the PromotionContext the implementations take.
 */
import { userInfo } from 'node:os';
import { RegtopoError } from '../../errors.js';
import { Reference } from '../../ref/reference.js';
import type { Descriptor } from '../../registry/descriptor.js';
import { RegistryClient } from '../../registry/registry-client.js';
import { clientForTopology } from '../topology-client.js';
import type { InvalidRecord } from './records.js';
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
  /**
   * Told about each record left out as malformed by readers without a warnings list of their own
   * (history, inventory); plan and getStatuses put them in their `warnings`. Default: left out silently.
   */
  onInvalidRecord?: (invalid: InvalidRecord) => void;
}

/** What the public promotion verbs take: a PromotionContext whose client may be left out. */
export interface PromotionOptions extends Omit<PromotionContext, 'client'> {
  /** Shared client (connection pools, tokens); default: clientForTopology(topology), closed when the verb ends. */
  client?: RegistryClient;
}

/** A PromotionContext with every default filled in, and how to release what was made for it. */
export interface ResolvedContext {
  ctx: PromotionContext & Required<Pick<PromotionContext, 'by' | 'now' | 'env'>>;
  /** Closes the client when promotionContext() made it; a caller's client stays open. */
  close(): Promise<void>;
}

/**
 * The promotion verbs' defaults, resolved here and nowhere else:
 * - env: process.env, because that is where a CLI user's $REGTOPO_USER, the topology's credential
 *   variables and webhook header variables live;
 * - by: $REGTOPO_USER, else the OS login, else "unknown": CI jobs set the variable to name the bot,
 *   a developer at a terminal is their login (informational only: signatures decide who approved);
 * - now: Date.now, the real clock (tests pass another to step past clock-skew windows);
 * - client: clientForTopology(topology, { env }), because the topology knows each registry's
 *   scheme, CA and credentials; made for this call, so closed when the call ends;
 * - signal: none (nothing cancels the verb).
 */
export function promotionContext(options: PromotionOptions): ResolvedContext {
  const env = options.env ?? process.env;
  const made = options.client ? undefined : clientForTopology(options.topology, { env });
  const client = options.client ?? made!;
  return {
    ctx: { ...options, client, env, by: options.by || defaultActor(env), now: options.now ?? Date.now },
    close: async () => { await made?.close(); },
  };
}

/** Runs `body` with a resolved context, closing a client made for it afterwards. */
export async function withPromotionContext<T>(options: PromotionOptions, body: (ctx: ResolvedContext['ctx']) => Promise<T>): Promise<T> {
  const { ctx, close } = promotionContext(options);
  try {
    return await body(ctx);
  } finally {
    await close();
  }
}

/**
 * Runs `body` with the caller's client, or one made for the call and closed afterwards: from the
 * topology when there is one (its schemes, CAs and credentials), else a plain client (docker config
 * credentials), as copy() does. For the verbs that work without a topology (setStatus, getStatuses).
 */
export async function withClient<T>(options: { client?: RegistryClient; topology?: Topology; env?: NodeJS.ProcessEnv }, body: (client: RegistryClient) => Promise<T>): Promise<T> {
  if (options.client) return body(options.client);
  const made = options.topology ? clientForTopology(options.topology, { env: options.env }) : new RegistryClient();
  try {
    return await body(made);
  } finally {
    await made.close();
  }
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

/** Who is acting, for implementations handed a context that promotionContext() did not resolve. */
export function actor(ctx: Pick<PromotionContext, 'by' | 'env'>): string {
  return ctx.by || defaultActor(ctx.env ?? process.env);
}

/** The default `by` (see promotionContext()). */
function defaultActor(env: NodeJS.ProcessEnv): string {
  if (env.REGTOPO_USER) return env.REGTOPO_USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function nowOf(ctx: Pick<PromotionContext, 'now'>): number {
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
