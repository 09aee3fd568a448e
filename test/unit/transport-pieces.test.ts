import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge } from '../../src/auth/challenge.js';
import { digestOf } from '../../src/ref/digest.js';
import { VerifyStream } from '../../src/registry/verify-stream.js';
import { nextLink } from '../../src/registry/tag-list.js';
import { redactUrl } from '../../src/transport/redact.js';
import { backoff, DEFAULT_RETRY, parseRetryAfter } from '../../src/transport/retry.js';

describe('WWW-Authenticate', () => {
  it('parses a Bearer challenge with quoted commas', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"');
    expect(c).toEqual({ scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' } });
  });
  it('parses several challenges and prefers Bearer', () => {
    const all = parseChallenges('Basic realm="basic-realm", Bearer realm="http://127.0.0.1:1/token",service=svc,error="insufficient_scope"');
    expect(all.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(pickChallenge(all)?.params).toEqual({ realm: 'http://127.0.0.1:1/token', service: 'svc', error: 'insufficient_scope' });
    expect(pickChallenge(parseChallenges('Basic realm="x"'))?.scheme).toBe('basic');
    expect(parseChallenges(undefined)).toEqual([]);
  });
  it('handles escaped quotes', () => {
    expect(parseChallenges('Basic realm="a \\"quoted\\" realm"')[0]?.params.realm).toBe('a "quoted" realm');
  });
});

describe('Retry-After and backoff', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
  it('grows exponentially within [ceiling/2, ceiling] and is capped', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
      const d = backoff(DEFAULT_RETRY, attempt);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});

describe('Link pagination', () => {
  it('finds rel=next among several links', () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe('/v2/a/tags/list?n=2&last=b');
    expect(nextLink('<https://x/prev>; rel="prev", </v2/a/tags/list?last=c>; rel=next')).toBe('/v2/a/tags/list?last=c');
    expect(nextLink('<https://x/prev>; rel="prev"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});

describe('redactUrl', () => {
  it('drops userinfo and secret-bearing query values, keeps harmless ones', () => {
    const out = redactUrl('https://user:pw@storage.example.com/blob?X-Amz-Signature=abc&_state=xyz&digest=sha256:1');
    expect(out).not.toContain('pw');
    expect(out).not.toContain('abc');
    expect(out).not.toContain('xyz');
    expect(out).toContain('digest=sha256%3A1');
    expect(out).toContain('X-Amz-Signature=REDACTED');
  });
});

describe('VerifyStream', () => {
  const run = async (chunks: Buffer[], desc: { digest: string; size: number }) => {
    const received: Buffer[] = [];
    const sink = new Writable({ write(c, _e, cb) { received.push(c); cb(); } });
    let error: unknown;
    try {
      await pipeline(Readable.from(chunks), new VerifyStream({ mediaType: 'x', ...desc }, 'blob'), sink);
    } catch (e) { error = e; }
    return { received: Buffer.concat(received), error };
  };
  const data = Buffer.from('hello, registry');

  it('passes matching content through unchanged', async () => {
    const r = await run([data.subarray(0, 5), data.subarray(5)], { digest: digestOf(data), size: data.length });
    expect(r.error).toBeUndefined();
    expect(r.received.equals(data)).toBe(true);
  });
  it('withholds the final chunk of mismatching content', async () => {
    const bad = Buffer.from(data); bad[3] ^= 1;
    const r = await run([bad.subarray(0, 5), bad.subarray(5)], { digest: digestOf(data), size: data.length });
    expect((r.error as { code?: string }).code).toBe('E_DIGEST_MISMATCH');
    expect(r.received.length).toBeLessThan(data.length);
  });
  it('refuses short and long content', async () => {
    const short = await run([data.subarray(0, 4)], { digest: digestOf(data), size: data.length });
    expect((short.error as { code?: string }).code).toBe('E_SIZE_MISMATCH');
    const long = await run([data, Buffer.from('!')], { digest: digestOf(data), size: data.length });
    expect((long.error as { code?: string }).code).toBe('E_SIZE_MISMATCH');
  });
  it('ignores empty chunks, also after the last byte', async () => {
    const r = await run([data, Buffer.alloc(0)], { digest: digestOf(data), size: data.length });
    expect(r.error).toBeUndefined();
    expect((await run([Buffer.alloc(0)], { digest: digestOf(Buffer.alloc(0)), size: 0 })).error).toBeUndefined();
  });
  it('verifies empty blobs', async () => {
    expect((await run([], { digest: digestOf(Buffer.alloc(0)), size: 0 })).error).toBeUndefined();
    expect(((await run([], { digest: digestOf(data), size: 0 })).error as { code?: string }).code).toBe('E_DIGEST_MISMATCH');
  });
  it('passes the small reads of a slow link on in 64 KiB pieces after the first, the same bytes, the last one only once verified', async () => {
    const blob = Buffer.alloc((300 << 10) + 123);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 31) & 0xff;
    // 4.5 KiB reads, as the WAN bench's 200 Mbit link gives them.
    const reads: Buffer[] = [];
    for (let at = 0; at < blob.length; at += 4608) reads.push(blob.subarray(at, at + 4608));
    const pieces: number[] = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { pieces.push(c.length); cb(); } });
    await pipeline(Readable.from(reads), new VerifyStream({ mediaType: 'x', digest: digestOf(blob), size: blob.length }, 'blob'), sink);
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(blob.length);
    expect(pieces.length).toBeLessThan(reads.length / 10);
    // The first read goes on alone (an upload starts with it), the others gathered.
    expect(pieces[0]).toBe(4608);
    for (const n of pieces.slice(1, -1)) expect(n).toBeGreaterThanOrEqual(64 << 10);
    const r = await run(reads, { digest: digestOf(blob), size: blob.length });
    expect(r.received.equals(blob)).toBe(true);
    // A flipped byte in the last read: what was passed on never reaches the blob's end.
    const bad = Buffer.from(blob);
    bad[bad.length - 1] ^= 1;
    const badReads: Buffer[] = [];
    for (let at = 0; at < bad.length; at += 4608) badReads.push(bad.subarray(at, at + 4608));
    const refused = await run(badReads, { digest: digestOf(blob), size: blob.length });
    expect((refused.error as { code?: string }).code).toBe('E_DIGEST_MISMATCH');
    expect(refused.received.length).toBeLessThan(blob.length);
  });
  it('passes large reads on as they are, not copied, after the small reads held before them, the last one only once verified', async () => {
    const blob = Buffer.alloc((200 << 10) + 77);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7 + 3) & 0xff;
    // Loopback-like reads (~54 KiB, split by the HTTP framing) with a few small ones among them.
    const sizes = [55_000, 1_000, 2_000, 60_000, 3_000, 56_000];
    const reads: Buffer[] = [];
    let at = 0;
    for (const n of sizes) { reads.push(blob.subarray(at, at + n)); at += n; }
    reads.push(blob.subarray(at));
    const passed: Buffer[] = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { passed.push(c); cb(); } });
    await pipeline(Readable.from(reads), new VerifyStream({ mediaType: 'x', digest: digestOf(blob), size: blob.length }, 'blob'), sink);
    expect(Buffer.concat(passed).equals(blob)).toBe(true);
    // Each large read is the very buffer that was read; the small ones before a large one go on
    // gathered, ahead of it.
    expect(passed.map((b) => b.length)).toEqual([55_000, 3_000, 60_000, 3_000, 56_000, blob.length - at]);
    for (const i of [0, 2, 4]) expect(reads).toContain(passed[i]);
    // A flipped byte in a large last read: nothing of that read is passed on.
    const bad = Buffer.from(blob);
    bad[bad.length - 1] ^= 1;
    const badReads = [bad.subarray(0, 60_000), bad.subarray(60_000, 61_000), bad.subarray(61_000)];
    const refused = await run(badReads, { digest: digestOf(blob), size: blob.length });
    expect((refused.error as { code?: string }).code).toBe('E_DIGEST_MISMATCH');
    expect(refused.received.length).toBe(61_000);
  });
});
