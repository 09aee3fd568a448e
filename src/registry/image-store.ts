/**
 * The one interface the copy engine talks to, implemented by a registry repository and by an OCI
 * image layout on disk, so backups and registry copies share one engine.
 */
import type { Readable } from 'node:stream';
import type { Descriptor, RawManifest } from './descriptor.js';

export interface OpenBlobOptions {
  /** Called with the size of each chunk read, for progress reporting. */
  onBytes?: (n: number) => void;
}

export interface ListTagsOptions {
  /**
   * Called with each entry of the tag list that is not a valid tag (it is skipped): a registry's tag
   * list is untrusted input and such an entry would otherwise become a request path.
   */
  onInvalidTag?: (raw: string) => void;
}

export interface ImageStore {
  /** Human-readable location, for messages (never carries credentials). */
  readonly description: string;

  /** Descriptor of the manifest a tag or digest points at, or undefined when absent. One HEAD. */
  headManifest(reference: string): Promise<Descriptor | undefined>;

  /** The manifest's exact bytes; digest-verified, size-capped. Throws E_NOT_FOUND when absent. */
  getManifest(reference: string): Promise<RawManifest>;

  /** Stores the bytes unchanged under a tag or under their digest. */
  putManifest(reference: string, manifest: RawManifest): Promise<void>;

  /**
   * True when the store holds the blob. Throws E_SIZE_MISMATCH when it holds the digest with another
   * length than `desc.size`: the descriptor lies, and must not be published as if it were true.
   */
  hasBlob(desc: Descriptor): Promise<boolean>;

  /**
   * A stream of the blob's bytes that errors (before its final chunk is released) if the size or
   * digest does not match `desc`, so a consumer can never commit bad content.
   */
  openBlob(desc: Descriptor, options?: OpenBlobOptions): Promise<Readable>;

  /**
   * Stores a blob from a stream. `open` may be called again when an attempt fails mid-way, so a
   * retry re-reads its source. Implementations verify size and digest before committing.
   */
  putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void>;

  listTags(options?: ListTagsOptions): Promise<string[]>;

  /** True when the store says it has never heard of this repository: blob HEADs can be skipped. */
  isUnknown?(): Promise<boolean>;

  /** Readies connections for `count` requests about to go out together (best effort, no request sent). */
  preconnect?(count: number): void;

  /**
   * Resolves once every write started on this store has finished, its cleanup included (upload
   * sessions cancelled, temp files removed). Never rejects. An interrupted caller awaits it before
   * it returns, so nothing is left behind by transfers still unwinding.
   */
  settled?(): Promise<void>;
}
