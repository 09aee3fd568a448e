/**
 * A pass-through that checks size and digest while bytes flow. The chunk that completes the blob is
 * held until its digest is known, so a consumer (an upload body, a file) never receives the last byte
 * of content that does not match: the registry cannot commit it and a file is never renamed into place.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { RegtopoError } from '../errors.js';
import { hasherFor } from '../ref/digest.js';
import type { Descriptor } from './descriptor.js';

// Socket reads arrive in 64 KiB chunks; with the 16 KiB default, every chunk would pause the download
// and resume it again (a syscall pair each). 1 MiB lets the two sockets run at their own pace, and
// stays small next to the 8 parallel transfers' memory (measured: ~4% faster cold copies).
const BUFFER_BYTES = 1 << 20;
// Across a rate-limited link, socket reads are small (WAN bench at 200 Mbit: 29,000 reads of ~4.5 KiB
// for 128 MiB, against 2,000 of 64 KiB on loopback), and every chunk passed on is a socket write
// and a hash call of its own. Chunks are gathered to 64 KiB before they go on: one copy of the bytes
// costs less than the per-chunk work it saves.
const GATHER_BYTES = 64 << 10;
// A read at least this large goes on as it is: gathering pays only for small reads. On loopback most
// reads are a little under 64 KiB (the HTTP framing splits them), and gathering copied 96 of a cold
// 128 MiB copy's bytes once more, into fresh buffers, for no fewer writes (2-7% of its CPU, measured).
const PASS_BYTES = 16 << 10;

export class VerifyStream extends Transform {
  private readonly hash;
  private seen = 0;
  private readonly desc: Descriptor;
  private readonly what: string;

  private readonly onBytes: ((n: number) => void) | undefined;
  /** Verified-so-far bytes not yet passed on (gathered to GATHER_BYTES), and their length. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  /** `onBytes` sees every chunk as it passes, for progress without another stream stage. */
  constructor(desc: Descriptor, what: string, onBytes?: (n: number) => void) {
    super({ highWaterMark: BUFFER_BYTES });
    this.desc = desc;
    this.what = what;
    this.onBytes = onBytes;
    this.hash = hasherFor(desc.digest);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // An empty chunk after the last byte would update a finalised hash.
    if (chunk.length === 0) {
      done();
      return;
    }
    this.seen += chunk.length;
    if (this.seen > this.desc.size) {
      done(new RegtopoError('E_SIZE_MISMATCH', `${this.what}: more than the ${this.desc.size} bytes its descriptor declares`));
      return;
    }
    this.onBytes?.(chunk.length);
    const last = this.seen === this.desc.size;
    if (chunk.length >= PASS_BYTES) {
      // Held bytes go on first, in order, and may go before the check: if the last byte has come, it
      // is in this chunk.
      if (this.heldBytes > 0) this.push(this.takeHeld());
      this.hash.update(chunk);
      const err = last ? this.check() : null;
      done(err, err ? undefined : chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (last) {
      const out = this.takeHeld();
      const err = this.check();
      done(err, err ? undefined : out);
      return;
    }
    // The first bytes go on at once: an upload sends its request with its first body bytes, and it
    // should start while the download still runs, not after the first 64 KiB.
    done(null, this.heldBytes >= GATHER_BYTES || this.seen === chunk.length ? this.takeHeld() : undefined);
  }

  /** The held bytes as one buffer, hashed; copies only when there is more than one chunk. */
  private takeHeld(): Buffer {
    const out = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    this.hash.update(out);
    return out;
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.desc.size) {
      done(new RegtopoError('E_SIZE_MISMATCH', `${this.what}: got ${this.seen} bytes, descriptor declares ${this.desc.size}`));
      return;
    }
    // A zero-byte blob never passes through _transform, so it is checked here.
    done(this.desc.size === 0 ? this.check() : null);
  }

  private check(): RegtopoError | null {
    const algo = this.desc.digest.slice(0, this.desc.digest.indexOf(':'));
    const actual = `${algo}:${this.hash.digest('hex')}`;
    if (actual === this.desc.digest) return null;
    return new RegtopoError('E_DIGEST_MISMATCH', `${this.what}: content hashes to ${actual}, expected ${this.desc.digest}`);
  }
}

/**
 * A present blob's Content-Length against its descriptor: the digest fixes the content, so another
 * length means the descriptor lies. A HEAD without a usable length proves nothing either way.
 */
export function assertBlobLength(length: string | undefined, desc: Descriptor, what: string): void {
  if (length !== undefined && /^\d+$/.test(length) && Number(length) !== desc.size) {
    throw new RegtopoError('E_SIZE_MISMATCH', `${what} is ${length} bytes, its descriptor says ${desc.size}`);
  }
}
