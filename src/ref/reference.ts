/**
 * Image references: `[host[:port]/]path[:tag][@algo:hex]`, following the distribution reference
 * grammar (distribution/reference, OCI distribution-spec "pulling manifests"). Immutable values;
 * Docker Hub normalisation happens in `normalise()` and nowhere else.
 */
import { RegtopoError } from '../errors.js';
import { assertDigest } from './digest.js';
import { canonicalHost, DOCKER_HUB } from './registry-host.js';
import { isTag } from './tag.js';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$/;
const MAX_NAME = 255;

export class Reference {
  /** Canonical host[:port]; Docker Hub is always `docker.io`. */
  readonly registry: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;

  private constructor(registry: string, repository: string, tag?: string, digest?: string) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
    Object.freeze(this);
  }

  /** Parses and normalises; throws E_REF_INVALID naming the input. */
  static parse(input: string): Reference {
    const { host, path, tag, digest } = split(input);
    return Reference.of(host ?? DOCKER_HUB, path, tag, digest, input);
  }

  /** Builds from parts, validating each (used by topology and ops to compose targets). */
  static of(host: string, repository: string, tag?: string, digest?: string, input?: string): Reference {
    const shown = input ?? `${host}/${repository}`;
    if (!HOST.test(host)) fail(shown, `invalid registry host "${host}"`);
    const { registry, path } = normalise(host, repository);
    validatePath(path, shown);
    if (tag !== undefined && !isTag(tag)) fail(shown, `invalid tag "${tag}"`);
    if (digest !== undefined) {
      try { assertDigest(digest); } catch { fail(shown, `invalid digest "${digest}"`); }
    }
    return new Reference(registry, path, tag, digest);
  }

  /** Tag or digest to ask the registry for: the digest wins, since it cannot move. */
  get reference(): string {
    return this.digest ?? this.tag ?? 'latest';
  }

  /** registry/repository without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  withTag(tag: string): Reference {
    return Reference.of(this.registry, this.repository, tag, undefined);
  }

  withDigest(digest: string): Reference {
    return Reference.of(this.registry, this.repository, undefined, digest);
  }

  /** Same repository, tag kept, digest pinned. */
  pinned(digest: string): Reference {
    return Reference.of(this.registry, this.repository, this.tag, digest);
  }

  inRepository(repository: string): Reference {
    return Reference.of(this.registry, repository, this.tag, this.digest);
  }

  toString(): string {
    return `${this.name}${this.tag !== undefined ? `:${this.tag}` : ''}${this.digest !== undefined ? `@${this.digest}` : ''}`;
  }

  equals(other: Reference): boolean {
    return this.toString() === other.toString();
  }
}

/** Docker Hub rules, in one function: aliases fold to docker.io, one-segment paths gain `library/`. */
export function normalise(host: string, path: string): { registry: string; path: string } {
  const registry = canonicalHost(host);
  if (registry === DOCKER_HUB && !path.includes('/')) return { registry, path: `library/${path}` };
  return { registry, path };
}

function split(input: string): { host?: string; path: string; tag?: string; digest?: string } {
  if (typeof input !== 'string' || input.length === 0) fail(String(input), 'empty reference');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let host: string | undefined;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    // Docker's rule: the first component is a host if it has a dot, a port or is localhost.
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      host = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { host, path: rest, tag, digest };
}

function validatePath(path: string, input: string): void {
  if (path.length === 0) fail(input, 'missing repository');
  if (path.length > MAX_NAME) fail(input, `repository longer than ${MAX_NAME} characters`);
  for (const part of path.split('/')) {
    if (!PATH_COMPONENT.test(part)) {
      const why = /[A-Z]/.test(part) ? 'must be lowercase' : 'allowed: a-z 0-9 and single separators . _ __ -';
      fail(input, `invalid repository component "${part}" (${why})`);
    }
  }
}

function fail(input: string, why: string): never {
  throw new RegtopoError('E_REF_INVALID', `invalid reference "${input}": ${why}`);
}
