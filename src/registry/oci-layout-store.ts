/**
 * An OCI image layout on disk (image-spec image-layout.md) as an ImageStore, for backups and for
 * handing images to tools like skopeo. Content lives under `blobs/<alg>/<hex>`; tags are
 * `org.opencontainers.image.ref.name` annotations on the entries of `index.json`. Every blob is
 * written to a temp file and renamed into place only once verified, so a digest-named file always
 * holds the content its name promises.
 */
import { mkdir, open as openFile, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as pipelineCb, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegtopoError } from '../errors.js';
import { assertDigest, digestAlgorithm, digestHex, isDigest, verifyBytes } from '../ref/digest.js';
import { sniffMediaType, type Descriptor, type RawManifest } from './descriptor.js';
import type { ImageStore, OpenBlobOptions } from './image-store.js';
import { MAX_MANIFEST_BYTES, MediaType } from './media-types.js';
import { VerifyStream } from './verify-stream.js';
import { INDEX_FILE, readLayoutIndex, updateLayoutIndex } from './oci-layout-index.js';
import { isMissing, removeQuietly, removeStaleTemps, tempPathFor } from './layout-temp.js';
import { InFlight } from './in-flight.js';
import { manyListenerSignal, abortedOr, throwIfAborted } from '../transport/abort.js';

const LAYOUT_FILE = 'oci-layout';
const REF_NAME = 'org.opencontainers.image.ref.name';

export class OciLayoutStore implements ImageStore {
  readonly description: string;
  private readonly dir: string;
  private readonly signal: AbortSignal | undefined;
  private readonly writes = new InFlight();

  private constructor(dir: string, signal: AbortSignal | undefined) {
    this.dir = dir;
    this.description = `oci:${dir}`;
    this.signal = manyListenerSignal(signal);
  }

  /**
   * Opens a layout; with `create` (opening to write), makes the directory, `oci-layout` and an empty
   * index as needed, and removes temp files that writers killed earlier left behind. With `signal`,
   * each operation stops when it fires (E_INTERRUPTED), removing its temp file first.
   */
  static async open(dir: string, options: { create: boolean; signal?: AbortSignal }): Promise<OciLayoutStore> {
    throwIfAborted(options.signal);
    const layoutPath = join(dir, LAYOUT_FILE);
    let text: string | undefined;
    try {
      text = await readFile(layoutPath, 'utf8');
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    if (text === undefined) {
      if (!options.create) {
        throw new RegtopoError('E_NOT_FOUND', `${dir} is not an OCI image layout (no ${LAYOUT_FILE} file)`);
      }
      await mkdir(join(dir, 'blobs'), { recursive: true });
      await writeIfAbsent(layoutPath, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      await writeIfAbsent(join(dir, INDEX_FILE), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));
    } else {
      checkLayoutVersion(text, dir);
    }
    if (options.create) await removeStaleTemps(dir);
    return new OciLayoutStore(dir, options.signal);
  }

  async headManifest(reference: string): Promise<Descriptor | undefined> {
    const { digest, entry } = await this.resolve(reference);
    if (entry && !isDigest(reference)) return withoutRefName(entry);
    if (!digest) return undefined;
    const size = await this.fileSize(digest);
    if (size === undefined) return undefined;
    if (entry) return { mediaType: entry.mediaType, digest, size };
    return { mediaType: this.mediaTypeOf(await this.readManifestBytes(digest, size), digest), digest, size };
  }

  async getManifest(reference: string): Promise<RawManifest> {
    const { digest, entry } = await this.resolve(reference);
    const size = digest === undefined ? undefined : await this.fileSize(digest);
    if (digest === undefined || size === undefined) {
      throw new RegtopoError('E_NOT_FOUND', `${this.description}: manifest ${reference} not found`);
    }
    const bytes = await this.readManifestBytes(digest, size);
    verifyBytes(bytes, digest, `${this.description}@${digest}`);
    return { bytes, digest, mediaType: entry?.mediaType ?? this.mediaTypeOf(bytes, digest) };
  }

  putManifest(reference: string, manifest: RawManifest): Promise<void> {
    return this.writes.track(this.putManifestNow(reference, manifest));
  }

  private async putManifestNow(reference: string, manifest: RawManifest): Promise<void> {
    throwIfAborted(this.signal);
    const digest = assertDigest(manifest.digest, 'manifest digest');
    verifyBytes(manifest.bytes, digest, `${this.description}: manifest ${reference}`);
    const byDigest = isDigest(reference);
    if (byDigest && reference !== digest) {
      throw new RegtopoError('E_DIGEST_MISMATCH', `${this.description}: manifest ${digest} cannot be stored as ${reference}`);
    }
    // Anything with a ':' that is not a valid digest is a malformed digest, not a tag.
    if (!byDigest && (reference === '' || reference.includes(':'))) assertDigest(reference, 'manifest reference');
    if (!(await this.hasFile(digest, manifest.bytes.length))) {
      await this.commitBlob(digest, (tmp) => writeFile(tmp, manifest.bytes, { flag: 'wx' }));
    }
    if (byDigest) return;
    await updateLayoutIndex(this.dir, (manifests) => [
      ...manifests.filter((d) => d.annotations?.[REF_NAME] !== reference),
      { mediaType: manifest.mediaType, digest, size: manifest.bytes.length, annotations: { [REF_NAME]: reference } },
    ], { signal: this.signal });
  }

  /** A file of another length under the digest means the descriptor lies (files are verified on write). */
  async hasBlob(desc: Descriptor): Promise<boolean> {
    const size = await this.fileSize(assertDigest(desc.digest));
    if (size === undefined) return false;
    if (size !== desc.size) throw new RegtopoError('E_SIZE_MISMATCH', `${this.description}: blob ${desc.digest} is ${size} bytes, its descriptor says ${desc.size}`);
    return true;
  }

  async openBlob(desc: Descriptor, options: OpenBlobOptions = {}): Promise<Readable> {
    throwIfAborted(this.signal);
    const path = this.blobPath(desc.digest);
    let handle;
    try {
      handle = await openFile(path, 'r');
    } catch (err) {
      if (isMissing(err)) throw new RegtopoError('E_NOT_FOUND', `${this.description}: blob ${desc.digest} not found`);
      throw err;
    }
    const verify = new VerifyStream(desc, `${this.description}@${desc.digest}`, options.onBytes);
    // pipeline destroys the file stream (closing the fd) if the consumer gives up early, and
    // forwards read errors to `verify`, where the consumer sees them.
    pipelineCb(handle.createReadStream(), verify, () => {});
    return verify;
  }

  putBlob(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    return this.writes.track(this.putBlobNow(desc, open));
  }

  settled(): Promise<void> {
    return this.writes.settled();
  }

  private async putBlobNow(desc: Descriptor, open: () => Promise<Readable>): Promise<void> {
    throwIfAborted(this.signal);
    const digest = assertDigest(desc.digest);
    if (await this.hasFile(digest, desc.size)) return;
    await this.commitBlob(digest, async (tmp) => {
      // The temp file exists before any byte flows, so the cleanup after a failure cannot race
      // a lazily opened write stream and leave a stray file behind.
      const file = await openFile(tmp, 'wx');
      try {
        const source = await open();
        const signal = this.signal ? { signal: this.signal } : {};
        await pipeline(source, new VerifyStream(desc, `${this.description}: blob ${digest}`), file.createWriteStream(), signal);
      } catch (err) {
        throw abortedOr(err, this.signal);
      } finally {
        await file.close().catch(() => {});
      }
    });
  }

  async listTags(): Promise<string[]> {
    const { manifests } = await readLayoutIndex(this.dir);
    const tags = new Set<string>();
    for (const d of manifests) {
      const tag = d.annotations?.[REF_NAME];
      if (typeof tag === 'string') tags.add(tag);
    }
    return [...tags].sort();
  }

  /** The digest a reference names and, when index.json lists it, the entry that carries its media type. */
  private async resolve(reference: string): Promise<{ digest?: string; entry?: Descriptor }> {
    throwIfAborted(this.signal);
    const { manifests } = await readLayoutIndex(this.dir);
    if (isDigest(reference)) return { digest: reference, entry: manifests.find((d) => d.digest === reference) };
    // ref.name should be unique; if another tool left duplicates, the later entry is the newer write.
    const entry = [...manifests].reverse().find((d) => d.annotations?.[REF_NAME] === reference);
    return { digest: entry?.digest, entry };
  }

  private mediaTypeOf(bytes: Uint8Array, digest: string): string {
    const mediaType = sniffMediaType(bytes);
    if (mediaType === undefined) {
      throw new RegtopoError('E_MANIFEST_INVALID', `${this.description}@${digest}: not a manifest (no media type in index.json or in the document)`);
    }
    return mediaType;
  }

  private async readManifestBytes(digest: string, size: number): Promise<Uint8Array> {
    const tooLarge = () =>
      new RegtopoError('E_MANIFEST_TOO_LARGE', `${this.description}@${digest}: manifest is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
    if (size > MAX_MANIFEST_BYTES) throw tooLarge();
    const bytes = await readFile(this.blobPath(digest));
    // The file may have been replaced between stat and read.
    if (bytes.length > MAX_MANIFEST_BYTES) throw tooLarge();
    return bytes;
  }

  /** Writes via `write(tmp)` and renames into place only if it succeeded; the temp file never survives. */
  private async commitBlob(digest: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const path = this.blobPath(digest);
    await mkdir(join(this.dir, 'blobs', digestAlgorithm(digest)), { recursive: true });
    const tmp = tempPathFor(path);
    try {
      await write(tmp);
      await rename(tmp, path);
    } catch (err) {
      await removeQuietly(tmp);
      throw err;
    }
  }

  private async hasFile(digest: string, size: number): Promise<boolean> {
    return (await this.fileSize(digest)) === size;
  }

  private async fileSize(digest: string): Promise<number | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private blobPath(digest: string): string {
    return join(this.dir, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }
}

function checkLayoutVersion(text: string, dir: string): void {
  let version: unknown;
  try {
    version = (JSON.parse(text) as Record<string, unknown>)?.imageLayoutVersion;
  } catch { /* reported below */ }
  if (typeof version !== 'string') {
    throw new RegtopoError('E_NOT_FOUND', `${dir} is not an OCI image layout (${LAYOUT_FILE} has no imageLayoutVersion)`);
  }
  // The spec only promises compatibility within a major version.
  if (!version.startsWith('1.')) {
    throw new RegtopoError('E_MANIFEST_UNSUPPORTED', `${dir}: OCI image layout version ${version} is not supported (expected 1.x)`);
  }
}

function withoutRefName(entry: Descriptor): Descriptor {
  const { annotations, ...rest } = entry;
  if (!annotations) return rest;
  const { [REF_NAME]: _tag, ...others } = annotations;
  return Object.keys(others).length > 0 ? { ...rest, annotations: others } : rest;
}

async function writeIfAbsent(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
