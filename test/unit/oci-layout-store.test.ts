/**
 * OciLayoutStore against a real filesystem and the real skopeo: byte-exact round trips, refusal of
 * bad content without leaving files behind, index.json integrity under concurrency, and layouts that
 * skopeo and regtopo can each read from the other.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Descriptor, RawManifest } from '../../src/registry/descriptor.js';
import { MediaType } from '../../src/registry/media-types.js';
import { OciLayoutStore } from '../../src/registry/oci-layout-store.js';

const run = promisify(execFile);
const REF_NAME = 'org.opencontainers.image.ref.name';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (bytes: Buffer, mediaType: string = MediaType.OciLayerGzip): Descriptor => ({ mediaType, digest: sha256(bytes), size: bytes.length });
// Two chunks, so verification spans a chunk boundary; empty chunks are left out.
const source = (bytes: Buffer) => async () => Readable.from([bytes.subarray(0, 7), bytes.subarray(7)].filter((c) => c.length > 0));

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

function rawManifest(text: string, mediaType: string = MediaType.OciManifest): RawManifest {
  const bytes = Buffer.from(text, 'utf8');
  return { bytes, mediaType, digest: sha256(bytes) };
}

/**
 * An OCI image (config + 2 layers) stored in `store`; the manifest's odd whitespace would show any
 * re-serialisation. Layers are gzip unless `gzip` is false: skopeo sniffs layer content, not the
 * media type, and compresses what it finds uncompressed.
 */
async function putImage(store: OciLayoutStore, tag: string, gzip = true) {
  const plain = [randomBytes(1500), randomBytes(70_000)];
  const layers = gzip ? plain.map((b) => gzipSync(b)) : plain;
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: plain.map(sha256) },
  }));
  const configDesc = blob(config, MediaType.OciConfig);
  const layerDescs = layers.map((l) => blob(l));
  for (const [d, b] of [[configDesc, config], ...layerDescs.map((d, i) => [d, layers[i]] as const)] as const) {
    await store.putBlob(d, source(b));
  }
  const text = `{\n\t"schemaVersion" :  2,\r\n  "mediaType": "${MediaType.OciManifest}",\n  "config": ${JSON.stringify(configDesc)},\n` +
    `   "layers": [ ${layerDescs.map((d) => JSON.stringify(d, null, 3)).join(' ,\n')} ] ,"annotations":{"x":"\\u00e9"}  }\n\n`;
  const manifest = rawManifest(text);
  await store.putManifest(tag, manifest);
  return { manifest, configDesc, config, layerDescs, layers };
}

let root: string;
let n = 0;
const freshDir = () => join(root, `layout-${++n}`);

beforeEach(async () => {
  root ??= await mkdtemp(join(tmpdir(), 'regtopo-oci-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('OciLayoutStore.open', () => {
  it('refuses a directory that is not a layout, naming it', async () => {
    const dir = freshDir();
    const err = await rejection(OciLayoutStore.open(dir, { create: false }));
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain(dir);
  });

  it('creates oci-layout and an empty index, then reopens without create', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    expect(store.description).toBe(`oci:${dir}`);
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests).toEqual([]);
    const again = await OciLayoutStore.open(dir, { create: false });
    expect(await again.listTags()).toEqual([]);
  });
});

describe('blobs', () => {
  it('round-trips bytes exactly, including an empty blob', async () => {
    const store = await OciLayoutStore.open(freshDir(), { create: true });
    for (const bytes of [randomBytes(100_000), Buffer.alloc(0)]) {
      const desc = blob(bytes);
      expect(await store.hasBlob(desc)).toBe(false);
      await store.putBlob(desc, source(bytes));
      expect(await store.hasBlob(desc)).toBe(true);
      expect((await readAll(await store.openBlob(desc))).equals(bytes)).toBe(true);
    }
  });

  it('does not reopen the source for a blob already present', async () => {
    const store = await OciLayoutStore.open(freshDir(), { create: true });
    const bytes = randomBytes(50);
    await store.putBlob(blob(bytes), source(bytes));
    await store.putBlob(blob(bytes), async () => { throw new Error('should not be opened'); });
  });

  it('refuses content that does not match the digest and leaves no file', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const desc = blob(randomBytes(4096));
    const err = await rejection(store.putBlob(desc, source(randomBytes(4096))));
    expect(err.code).toBe('E_DIGEST_MISMATCH');
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toEqual([]);
    expect(await store.hasBlob(desc)).toBe(false);
  });

  it('refuses a truncated stream with E_SIZE_MISMATCH and leaves no file', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const bytes = randomBytes(4096);
    const err = await rejection(store.putBlob(blob(bytes), source(bytes.subarray(0, 4000))));
    expect(err.code).toBe('E_SIZE_MISMATCH');
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toEqual([]);
  });

  it('propagates a source failure mid-stream and leaves no file', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const bytes = randomBytes(4096);
    const failing = async () => Readable.from((async function* () {
      yield bytes.subarray(0, 100);
      throw new Error('connection reset');
    })());
    const err = await rejection(store.putBlob(blob(bytes), failing));
    expect(err.message).toContain('connection reset');
    expect(await readdir(join(dir, 'blobs', 'sha256'))).toEqual([]);
  });

  it('openBlob errors on a blob corrupted on disk, and E_NOT_FOUND when absent', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const bytes = randomBytes(2048);
    const desc = blob(bytes);
    await store.putBlob(desc, source(bytes));
    await writeFile(join(dir, 'blobs', 'sha256', desc.digest.slice(7)), randomBytes(2048));
    expect((await rejection(readAll(await store.openBlob(desc)))).code).toBe('E_DIGEST_MISMATCH');
    expect((await rejection(store.openBlob(blob(randomBytes(10))))).code).toBe('E_NOT_FOUND');
  });
});

describe('manifests', () => {
  it('round-trips by tag and by digest, byte-exact', async () => {
    const store = await OciLayoutStore.open(freshDir(), { create: true });
    const { manifest } = await putImage(store, 'v1');
    for (const ref of ['v1', manifest.digest]) {
      const got = await store.getManifest(ref);
      expect(Buffer.from(got.bytes).equals(Buffer.from(manifest.bytes))).toBe(true);
      expect(got).toMatchObject({ digest: manifest.digest, mediaType: MediaType.OciManifest });
      expect(await store.headManifest(ref)).toEqual({ mediaType: MediaType.OciManifest, digest: manifest.digest, size: manifest.bytes.length });
    }
    expect(await store.headManifest('absent')).toBeUndefined();
    expect(await store.headManifest(sha256(randomBytes(8)))).toBeUndefined();
    expect((await rejection(store.getManifest('absent'))).code).toBe('E_NOT_FOUND');
  });

  it('stores a manifest by digest without touching index.json, sniffing its media type on read', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const child = rawManifest(`{"schemaVersion":2,"mediaType":"${MediaType.DockerManifest}","config":{},"layers":[]}`, MediaType.DockerManifest);
    await store.putManifest(child.digest, child);
    expect(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests).toEqual([]);
    expect((await store.getManifest(child.digest)).mediaType).toBe(MediaType.DockerManifest);
    expect((await store.headManifest(child.digest))?.mediaType).toBe(MediaType.DockerManifest);
  });

  it('refuses bytes that do not match their digest, or a digest reference naming other bytes', async () => {
    const store = await OciLayoutStore.open(freshDir(), { create: true });
    const m = rawManifest('{"schemaVersion":2,"manifests":[]}', MediaType.OciIndex);
    expect((await rejection(store.putManifest('t', { ...m, digest: sha256(randomBytes(4)) }))).code).toBe('E_DIGEST_MISMATCH');
    expect((await rejection(store.putManifest(sha256(randomBytes(4)), m))).code).toBe('E_DIGEST_MISMATCH');
    expect((await rejection(store.putManifest('sha256:nothex', m))).code).toBe('E_REF_INVALID');
  });

  it('refuses to read a manifest over the size limit', async () => {
    const store = await OciLayoutStore.open(freshDir(), { create: true });
    const big = randomBytes(4 * 1024 * 1024 + 1);
    await store.putBlob(blob(big), source(big));
    expect((await rejection(store.getManifest(sha256(big)))).code).toBe('E_MANIFEST_TOO_LARGE');
  });

  it('keeps all 20 tags written concurrently', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const tags = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
    await Promise.all(tags.map((t) => store.putManifest(t, rawManifest(`{"schemaVersion":2,"config":{},"layers":[],"t":"${t}"}`))));
    expect(await store.listTags()).toEqual(tags);
    expect(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests).toHaveLength(20);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('retagging replaces the old entry', async () => {
    const dir = freshDir();
    const store = await OciLayoutStore.open(dir, { create: true });
    const a = rawManifest('{"schemaVersion":2,"config":{},"layers":[],"v":1}');
    const b = rawManifest('{"schemaVersion":2,"config":{},"layers":[],"v":2}');
    await store.putManifest('latest', a);
    await store.putManifest('keep', a);
    await store.putManifest('latest', b);
    const entries = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests as Descriptor[];
    expect(entries.filter((e) => e.annotations?.[REF_NAME] === 'latest')).toEqual([
      { mediaType: MediaType.OciManifest, digest: b.digest, size: b.bytes.length, annotations: { [REF_NAME]: 'latest' } },
    ]);
    expect((await store.getManifest('latest')).digest).toBe(b.digest);
    expect((await store.getManifest('keep')).digest).toBe(a.digest);
    expect(await store.listTags()).toEqual(['keep', 'latest']);
  });
});

describe('interoperability with skopeo', () => {
  const skopeo = (...args: string[]) => run('skopeo', ['--insecure-policy', ...args], { encoding: 'buffer', maxBuffer: 64 << 20 });

  /** Every blob the manifest names is present and streams through verification. */
  async function expectReadable(store: OciLayoutStore, tag: string) {
    const got = await store.getManifest(tag);
    const doc = JSON.parse(Buffer.from(got.bytes).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    for (const d of [doc.config, ...doc.layers]) {
      expect(await store.hasBlob(d)).toBe(true);
      expect((await readAll(await store.openBlob(d))).length).toBe(d.size);
    }
    return got;
  }

  it('skopeo reads our manifest byte-exact, and copies it to a layout we read unchanged', async () => {
    const ours = freshDir();
    const theirs = freshDir();
    const image = await putImage(await OciLayoutStore.open(ours, { create: true }), 'v1');

    const { stdout } = await skopeo('inspect', '--raw', `oci:${ours}:v1`);
    expect(Buffer.from(stdout).equals(Buffer.from(image.manifest.bytes))).toBe(true);

    await skopeo('copy', '--quiet', `oci:${ours}:v1`, `oci:${theirs}:v1`);
    const copied = await OciLayoutStore.open(theirs, { create: false });
    expect(await copied.listTags()).toEqual(['v1']);
    const got = await expectReadable(copied, 'v1');
    // With already-compressed layers skopeo 1.9 changes nothing, so the digest survives.
    expect(got.digest).toBe(image.manifest.digest);
    expect(Buffer.from(got.bytes).equals(Buffer.from(image.manifest.bytes))).toBe(true);
    expect(got.mediaType).toBe(MediaType.OciManifest);
  });

  it('reads what skopeo writes when it rewrites the image (uncompressed "gzip" layers)', async () => {
    const ours = freshDir();
    const theirs = freshDir();
    const image = await putImage(await OciLayoutStore.open(ours, { create: true }), 'v1', false);
    await skopeo('copy', '--quiet', `oci:${ours}:v1`, `oci:${theirs}:v1`);
    const copied = await OciLayoutStore.open(theirs, { create: false });
    const got = await expectReadable(copied, 'v1');
    // skopeo compressed the layers and re-serialised the manifest: a new digest, still verifiable.
    expect(got.digest).not.toBe(image.manifest.digest);
    expect(await copied.headManifest('v1')).toEqual({ mediaType: MediaType.OciManifest, digest: got.digest, size: got.bytes.length });
  });

  it('skopeo still reads its layout after we add a tag to it', async () => {
    const ours = freshDir();
    const theirs = freshDir();
    await putImage(await OciLayoutStore.open(ours, { create: true }), 'v1');
    await skopeo('copy', '--quiet', `oci:${ours}:v1`, `oci:${theirs}:v1`);
    const before = JSON.parse(await readFile(join(theirs, 'index.json'), 'utf8')) as Record<string, unknown>;

    const store = await OciLayoutStore.open(theirs, { create: false });
    const manifest = await store.getManifest('v1');
    await store.putManifest('v2', manifest);
    const after = JSON.parse(await readFile(join(theirs, 'index.json'), 'utf8')) as Record<string, unknown>;
    // Top-level fields skopeo wrote survive our rewrite.
    expect({ ...after, manifests: undefined }).toEqual({ ...before, manifests: undefined });

    for (const tag of ['v1', 'v2']) {
      const { stdout } = await skopeo('inspect', '--raw', `oci:${theirs}:${tag}`);
      expect(sha256(stdout)).toBe(manifest.digest);
    }
  });
});
