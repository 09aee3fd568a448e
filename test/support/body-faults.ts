/**
 * Stream transforms the fault proxy splices into a response body. Each passes bytes through as they
 * arrive (nothing is buffered whole), so multi-megabyte blobs stream at their natural pace.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Flips one bit of the byte at `offset`; the length is unchanged, so Content-Length stays honest. */
export function corruptByteAt(offset: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const start = seen;
      seen += chunk.length;
      if (offset >= start && offset < seen) {
        const copy = Buffer.from(chunk);
        const i = offset - start;
        copy[i] = (copy[i] ?? 0) ^ 0x01;
        done(null, copy);
      } else {
        done(null, chunk);
      }
    },
  });
}

/**
 * Paces output to about `bytesPerSecond`, in slices of a twentieth of a second, so a client sees
 * a steady trickle rather than bursts separated by long stalls.
 */
export function throttle(bytesPerSecond: number): Transform {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  let destroyed = false;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const push = async (): Promise<void> => {
        for (let at = 0; at < chunk.length && !destroyed; at += slice) {
          const piece = chunk.subarray(at, at + slice);
          stream.push(piece);
          await sleep((piece.length / bytesPerSecond) * 1000);
        }
      };
      push().then(() => done(), done);
    },
    destroy(err, cb) {
      destroyed = true;
      cb(err);
    },
  });
  return stream;
}

/**
 * Passes the first `limit` bytes, then calls `onLimit` once (the proxy destroys the socket there).
 * `onLimit` receives a callback-aware flush so the bytes before the cut really reach the client.
 */
export function cutAfter(limit: number, onLimit: () => void): Transform {
  let seen = 0;
  let cut = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (cut) return done();
      const room = limit - seen;
      seen += chunk.length;
      if (chunk.length < room) return done(null, chunk);
      cut = true;
      if (room > 0) this.push(chunk.subarray(0, room));
      // Let the last permitted bytes drain before the cut.
      setImmediate(onLimit);
      done();
    },
    flush(done: TransformCallback) {
      // A body shorter than the limit still gets cut at its end: the test asked for a broken stream.
      if (!cut) {
        cut = true;
        setImmediate(onLimit);
      }
      done();
    },
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Passes the first `limit` bytes and then holds everything back without ever ending: the client sees
 * a live connection whose body stops, which only a body timeout can get it out of.
 */
export function stallAfter(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const room = limit - seen;
      seen += chunk.length;
      if (room <= 0) return done();
      done(null, chunk.length <= room ? chunk : chunk.subarray(0, room));
    },
    flush() {
      // Never calls back: the response never ends.
    },
  });
}
