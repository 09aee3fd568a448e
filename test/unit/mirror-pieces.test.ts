import { describe, expect, it } from 'vitest';
import { historyTag, isHistoryTag } from '../../src/ops/mirror/history-tag.js';
import { parseQuota, RateLimitTracker } from '../../src/ops/mirror/rate-limit.js';
import { needsTagList, selectTags } from '../../src/ops/mirror/select-tags.js';
import { parseShard, shardOf } from '../../src/ops/mirror/shard.js';

const rule = (r: Partial<Parameters<typeof selectTags>[0]>) => ({ tags: [], include: [], exclude: [], pins: {}, ...r });
const LISTED = ['latest', '1.24.0', '1.25.0', '1.25.5', '1.26.3', '1.27.4', '1.27.4-alpine', '1.27', 'v1.26.9', '2.0.0', 'mainline', '1.27.3-rt-20250101-0123456789ab'];

describe('tag selection', () => {
  it('explicit tags need no tag list; patterns do', () => {
    expect(needsTagList(rule({ tags: ['3.19'] }))).toBe(false);
    expect(needsTagList(rule({ pins: { a: 'sha256:x' } }))).toBe(false);
    expect(needsTagList(rule({}))).toBe(true);
    expect(needsTagList(rule({ tags: ['a'], semver: '^1' }))).toBe(true);
    expect(selectTags(rule({ tags: ['3.19', '3.20'] }))).toEqual(['3.19', '3.20']);
  });

  it('semver range: strict versions only, no prereleases, no coercion of 1.27', () => {
    expect(selectTags(rule({ semver: '>=1.25.0 <2.0.0' }), LISTED).sort()).toEqual(['1.25.0', '1.25.5', '1.26.3', '1.27.4', 'v1.26.9'].sort());
  });

  it('newest N ranks by semver, ignores non-versions and variants, honours exclude', () => {
    expect(selectTags(rule({ semver: '>=1.25.0 <2.0.0', newest: 3 }), LISTED)).toEqual(['1.27.4', 'v1.26.9', '1.26.3']);
    expect(selectTags(rule({ newest: 2 }), LISTED)).toEqual(['2.0.0', '1.27.4']);
    expect(selectTags(rule({ newest: 2, exclude: ['^2\\.'] }), LISTED)).toEqual(['1.27.4', 'v1.26.9']);
  });

  it('include/exclude regexes; everything when nothing is named; history tags never selected', () => {
    expect(selectTags(rule({ include: ['alpine$'] }), LISTED)).toEqual(['1.27.4-alpine']);
    expect(selectTags(rule({ include: ['^1\\.27'], exclude: ['-alpine$'] }), LISTED)).toEqual(['1.27.4', '1.27']);
    expect(selectTags(rule({}), LISTED)).toHaveLength(LISTED.length - 1);
  });

  it('explicit tags and pins are added to pattern matches, once each', () => {
    expect(selectTags(rule({ tags: ['latest'], pins: { '1.27.4': 'sha256:x' }, semver: '~1.27.0' }), LISTED)).toEqual(['latest', '1.27.4']);
  });
});

describe('history tags', () => {
  it('are deterministic for a digest and day, valid, and recognisable', () => {
    const d = `sha256:${'ab12'.repeat(16)}`;
    const t = historyTag('1.27.4', d, new Date('2025-06-07T23:59:00Z'));
    expect(t).toBe('1.27.4-rt-20250607-ab12ab12ab12');
    expect(historyTag('1.27.4', d, new Date('2025-06-07T01:00:00Z'))).toBe(t);
    expect(isHistoryTag(t)).toBe(true);
    expect(isHistoryTag('1.27.4')).toBe(false);
    const long = historyTag('x'.repeat(128), d, new Date());
    expect(long.length).toBe(128);
    expect(isHistoryTag(long)).toBe(true);
  });
});

describe('shards', () => {
  it('parses I/N and refuses nonsense', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });
  it('spreads tags over every shard, stably', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) counts[shardOf('rule', `t${i}`, 4) - 1]!++;
    for (const c of counts) expect(c).toBeGreaterThan(60);
    expect(shardOf('nginx', '1.27.4', 5)).toBe(shardOf('nginx', '1.27.4', 5));
  });
});

describe('rate-limit headers', () => {
  it('parses Docker Hub quota headers', () => {
    expect(parseQuota('100;w=21600')).toEqual({ value: 100, window: 21600 });
    expect(parseQuota('76')).toEqual({ value: 76 });
    expect(parseQuota('nonsense')).toBeUndefined();
  });
  it('tracks remaining per host and says when the reserve is reached', () => {
    const t = new RateLimitTracker();
    const res = (remaining: string) => ({ status: 200, headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': remaining }, url: 'https://registry-1.docker.io/v2/x', body: undefined as never });
    const req = { method: 'HEAD' as const, url: 'https://registry-1.docker.io/v2/x' };
    expect(t.reserveReached('registry-1.docker.io', 10)).toBe(false);
    t.observe(req, res('11;w=21600'));
    expect(t.reserveReached('registry-1.docker.io', 10)).toBe(false);
    t.observe(req, res('10;w=21600'));
    expect(t.reserveReached('registry-1.docker.io', 10)).toBe(true);
    expect(t.get('registry-1.docker.io')).toEqual({ host: 'registry-1.docker.io', limit: 100, remaining: 10, windowSeconds: 21600 });
  });
});
