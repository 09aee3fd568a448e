/**
 * One end of a referrer copy: where referrers are listed (API, fallback tag), where tags are read
 * and written, and the Location copy() is given for a digest. A registry repository and an OCI
 * layout serve it, and so does one repository inside a backup layout, whose refs are
 * `REPOSITORY:TAG` (ops/backup/layout-refs.ts).
 */
import { RegtopoError } from '../../errors.js';
import type { Location } from '../../ref/location.js';
import type { Reference } from '../../ref/reference.js';
import { parseManifest, type Descriptor, type RawManifest } from '../../registry/descriptor.js';
import type { ImageStore } from '../../registry/image-store.js';
import { OciLayoutStore } from '../../registry/oci-layout-store.js';
import { fallbackTag, listReferrers, usableReferrers } from '../../registry/referrers.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { RegistryRepository } from '../../registry/registry-repository.js';
import { readRefs, refName, setRefs, splitRefName } from '../backup/layout-refs.js';

export type ListedVia = 'api' | 'fallback-tag' | 'none';

export interface ReferrerSide {
  readonly description: string;
  readonly store: ImageStore;
  /** The Location copy() reads or writes this digest at. */
  at(digest: string): Location;
  /** The subject's listed referrers (validated descriptors); `onInvalid` hears about the rest. */
  list(digest: string, onInvalid: (raw: string) => void): Promise<{ referrers: Descriptor[]; via: ListedVia; entries: number }>;
  /** Every tag, read once per side. */
  tags(): Promise<ReadonlySet<string>>;
  readTag(tag: string): Promise<RawManifest | undefined>;
  /** Points a tag at a manifest whose content is in the store already. */
  writeTag(tag: string, raw: RawManifest): Promise<void>;
  /** Whether the store indexes `subject` itself (the referrers API): then no fallback tag is written. */
  hasReferrersApi(digest: string): Promise<boolean>;
}

abstract class BaseSide implements ReferrerSide {
  private tagSet?: Promise<ReadonlySet<string>>;
  abstract readonly description: string;
  abstract readonly store: ImageStore;
  abstract at(digest: string): Location;
  abstract readTag(tag: string): Promise<RawManifest | undefined>;
  abstract writeTag(tag: string, raw: RawManifest): Promise<void>;
  protected abstract listTags(): Promise<string[]>;

  tags(): Promise<ReadonlySet<string>> {
    this.tagSet ??= this.listTags().then((t) => new Set(t), (err: unknown) => {
      if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return new Set<string>();
      throw err;
    });
    return this.tagSet;
  }

  async list(digest: string, onInvalid: (raw: string) => void): Promise<{ referrers: Descriptor[]; via: ListedVia; entries: number }> {
    const raw = await this.readTag(fallbackTag(digest));
    if (!raw) return { referrers: [], via: 'none', entries: 0 };
    const parsed = parseManifest(raw, `${this.description}:${fallbackTag(digest)}`);
    if (parsed.kind !== 'index') return { referrers: [], via: 'none', entries: 0 };
    return { referrers: usableReferrers(parsed.manifests, onInvalid), via: 'fallback-tag', entries: parsed.manifests.length };
  }

  async hasReferrersApi(_digest: string): Promise<boolean> {
    return false;
  }
}

class RegistrySide extends BaseSide {
  readonly store: RegistryRepository;
  readonly description: string;
  private api?: Promise<boolean>;

  constructor(private readonly ref: Reference, client: RegistryClient, signal?: AbortSignal, private readonly knownTags?: readonly string[], private readonly apiHint?: ReferrersApiHint) {
    super();
    if (apiHint?.supported !== undefined) this.api = Promise.resolve(apiHint.supported);
    this.store = client.repository(ref, { signal });
    this.description = this.store.description;
  }

  at(digest: string): Location {
    return { kind: 'registry', ref: this.ref.withDigest(digest) };
  }

  protected listTags(): Promise<string[]> {
    return this.knownTags ? Promise.resolve([...this.knownTags]) : this.store.listTags();
  }

  async readTag(tag: string): Promise<RawManifest | undefined> {
    return absentAsUndefined(this.store.getManifest(tag));
  }

  writeTag(tag: string, raw: RawManifest): Promise<void> {
    return this.store.putManifest(tag, raw);
  }

  override async list(digest: string, onInvalid: (raw: string) => void): Promise<{ referrers: Descriptor[]; via: ListedVia; entries: number }> {
    let entries = 0;
    const r = await listReferrers(this.store, digest, undefined, {
      onInvalidReferrer: (e) => { entries++; onInvalid(e); },
      hasFallbackTag: async (tag) => (await this.tags()).has(tag),
      skipApi: this.apiHint?.supported === false,
    });
    if (r.source === 'api') this.api = Promise.resolve(true);
    // A registry with the API never answers it 404 or 400 (distribution-spec): one such answer
    // settles it for the repository, and the run's later copies go straight to the fallback tag.
    if (this.apiHint && (r.source === 'api' || r.lacksApi)) this.apiHint.supported = r.source === 'api';
    return { referrers: r.referrers, via: r.source, entries: entries + r.referrers.length };
  }

  override hasReferrersApi(digest: string): Promise<boolean> {
    // Only the API's answer matters here: the fallback tag is not fetched.
    this.api ??= listReferrers(this.store, digest, undefined, { hasFallbackTag: async () => false }).then((r) => r.source === 'api');
    return this.api;
  }
}

class LayoutSide extends BaseSide {
  readonly description: string;
  constructor(readonly store: OciLayoutStore, private readonly dir: string) {
    super();
    this.description = store.description;
  }

  at(digest: string): Location {
    return { kind: 'oci', dir: this.dir, digest };
  }

  protected listTags(): Promise<string[]> {
    return this.store.listTags();
  }

  readTag(tag: string): Promise<RawManifest | undefined> {
    return absentAsUndefined(this.store.getManifest(tag));
  }

  writeTag(tag: string, raw: RawManifest): Promise<void> {
    return this.store.putManifest(tag, raw);
  }
}

/** One repository of a backup layout: its tags are the refs `REPOSITORY:TAG`. */
class BackupLayoutSide extends LayoutSide {
  constructor(store: OciLayoutStore, private readonly layoutDir: string, private readonly repository: string) {
    super(store, layoutDir);
  }

  protected override async listTags(): Promise<string[]> {
    const refs = await readRefs(this.layoutDir);
    return [...refs.keys()].flatMap((n) => { const p = splitRefName(n); return p && p.repository === this.repository ? [p.tag] : []; });
  }

  override async readTag(tag: string): Promise<RawManifest | undefined> {
    const desc = (await readRefs(this.layoutDir)).get(refName(this.repository, tag));
    return desc ? absentAsUndefined(this.store.getManifest(desc.digest)) : undefined;
  }

  override async writeTag(tag: string, raw: RawManifest): Promise<void> {
    await this.store.putManifest(raw.digest, raw);
    await setRefs(this.layoutDir, [{ name: refName(this.repository, tag), target: { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.length } }]);
  }
}

/**
 * Whether a registry repository answers the referrers API, shared by the copies of one run from it
 * (a mirror rule's): learnt from the first answer, then not asked again. Empty until then.
 */
export interface ReferrersApiHint {
  supported?: boolean;
}

/** What the caller knows of a registry repository already. */
export interface KnownRepository {
  /** Its tag list (the side then never lists it). */
  tags?: readonly string[];
  api?: ReferrersApiHint;
}

export function registrySide(ref: Reference, client: RegistryClient, signal?: AbortSignal, known: KnownRepository = {}): ReferrerSide {
  return new RegistrySide(ref, client, signal, known.tags, known.api);
}

export async function layoutSide(dir: string, options: { create: boolean; signal?: AbortSignal; repository?: string }): Promise<ReferrerSide> {
  const store = await OciLayoutStore.open(dir, { create: options.create, signal: options.signal });
  return options.repository === undefined ? new LayoutSide(store, dir) : new BackupLayoutSide(store, dir, options.repository);
}

/** `known`: what the caller knows of the registry repository already (ignored for a layout). */
export function sideOf(loc: Location, client: RegistryClient, mode: 'read' | 'write', signal?: AbortSignal, known?: KnownRepository): Promise<ReferrerSide> | ReferrerSide {
  if (loc.kind === 'registry') return registrySide(loc.ref, client, signal, known);
  return layoutSide(loc.dir, { create: mode === 'write', signal });
}

async function absentAsUndefined(read: Promise<RawManifest>): Promise<RawManifest | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof RegtopoError && err.code === 'E_NOT_FOUND') return undefined;
    throw err;
  }
}
