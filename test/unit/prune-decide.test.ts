import { describe, expect, it } from 'vitest';
import { decideRepository, lookupCandidates, type RepositoryFacts, type TagFacts } from '../../src/ops/prune/decide.js';
import { laterRegistries, counterpart } from '../../src/ops/prune/later-stages.js';
import { registriesToPrune, repositoriesToPrune, stageTags } from '../../src/ops/prune/repositories.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { RetentionSpec } from '../../src/topology/model.js';

const NOW = Date.UTC(2026, 0, 31);
const DAY = 86_400_000;
const d = (n: number) => `sha256:${String(n).padStart(64, '0')}`;

function facts(tags: TagFacts[], extra: Partial<RepositoryFacts> = {}): RepositoryFacts {
  return { tags, children: new Map(), stageTags: new Set(), promoted: new Set(), pendingApproval: new Set(), ...extra };
}
const tag = (name: string, digest: number, ageDays?: number): TagFacts => ({ tag: name, digest: d(digest), ...(ageDays !== undefined && { time: NOW - ageDays * DAY, timeSource: 'created' as const }) });
const reasons = (r: ReturnType<typeof decideRepository>) => Object.fromEntries(r.tags.map((t) => [t.tag, t.reason]));
const policy = (p: Partial<RetentionSpec>): RetentionSpec => ({ keep: [], ...p });

describe('retention decision (pure)', () => {
  it('needs all three: outside keepNewest, older than olderThan, no keep pattern', () => {
    const r = decideRepository(facts([tag('a', 1, 100), tag('b', 2, 90), tag('c', 3, 10), tag('v1', 4, 200), tag('x', 5)]),
      policy({ keepNewest: 1, olderThanMs: 30 * DAY, keep: ['^v\\d'] }), NOW);
    expect(reasons(r)).toEqual({ a: 'eligible', b: 'eligible', c: 'newest', v1: 'keep-pattern', x: 'no-age' });
    expect(r.digests).toEqual([d(1), d(2)]);
  });

  it('newest ranks by time, ties broken by name, and skips tags without a time', () => {
    const r = decideRepository(facts([tag('b', 1, 50), tag('a', 2, 50), tag('z', 3), tag('c', 4, 60)]), policy({ keepNewest: 2 }), NOW);
    expect(reasons(r)).toEqual({ a: 'newest', b: 'newest', c: 'eligible', z: 'no-age' });
  });

  it('an empty policy deletes everything dated that nothing protects', () => {
    expect(reasons(decideRepository(facts([tag('a', 1, 0), tag('b', 2)]), policy({}), NOW))).toEqual({ a: 'eligible', b: 'no-age' });
  });

  it('protections in order: stage tag, promoted, pending approval, later stage', () => {
    const r = decideRepository(facts([tag('latest', 1, 99), tag('p', 2, 99), tag('q', 3, 99), tag('r', 4, 99)], {
      stageTags: new Set(['latest']), promoted: new Set([d(2), d(1)]), pendingApproval: new Set([d(3), d(2)]), inProd: new Set([d(4), d(3)]),
    }), policy({ olderThanMs: DAY }), NOW);
    expect(reasons(r)).toEqual({ latest: 'stage-tag', p: 'promoted', q: 'pending-approval', r: 'in-prod' });
    expect(r.digests).toEqual([]);
  });

  it('a digest goes only when every tag on it is eligible: one delete for two eligible tags, none if one is kept', () => {
    const r = decideRepository(facts([tag('old-1', 1, 99), tag('old-1b', 1, 99), tag('old-2', 2, 99), tag('v2', 2, 99)]), policy({ keep: ['^v'] }), NOW);
    expect(reasons(r)).toEqual({ 'old-1': 'eligible', 'old-1b': 'eligible', 'old-2': 'shared-digest', v2: 'keep-pattern' });
    expect(r.digests).toEqual([d(1)]);
  });

  it('children (and grandchildren) of a kept index are never deleted, even under an eligible tag of their own', () => {
    const children = new Map([[d(10), [d(11), d(12)]], [d(12), [d(13)]], [d(20), [d(21)]]]);
    const r = decideRepository(facts([tag('v1', 10, 99), tag('c11', 11, 99), tag('c13', 13, 99), tag('idx', 20, 99), tag('c21', 21, 99)], { children }), policy({ keep: ['^v'] }), NOW);
    expect(reasons(r)).toEqual({ v1: 'keep-pattern', c11: 'index-child', c13: 'index-child', idx: 'eligible', c21: 'eligible' });
    expect(r.digests).toEqual([d(20), d(21)]);
  });

  it('only digests still eligible before the downstream lookup are looked up', () => {
    const f = facts([tag('a', 1, 99), tag('b', 2, 1), tag('c', 3, 99), tag('v', 3, 99)]);
    expect(lookupCandidates(f, policy({ olderThanMs: 30 * DAY, keep: ['^v'] }), NOW)).toEqual([d(1)]);
  });
});

describe('what the topology says about a registry to prune', () => {
  const config = requireValidTopology(parseTopology(`version: 1
registries:
  sandbox: {role: sandbox, url: http://127.0.0.1:5101, retention: {olderThan: 7d}}
  snap: {role: ci, url: http://127.0.0.1:5103, namespace: builds, retention: {keepNewest: 3}}
  other: {role: ci, url: http://127.0.0.1:5103, namespace: builds/other}
  tests: {role: ci, url: http://127.0.0.1:5102}
  prod: {role: prod, url: http://127.0.0.1:5104}
  eu: {role: replica, url: http://127.0.0.1:5105, replicaOf: prod, namespace: mirror}
promotion:
  images: [{name: app, repository: team/app, source: snap}]
  stages:
    - {name: tested, from: snap, to: tests, tags: [latest], targetTags: [tested, '{version}']}
    - {name: prod, from: tests, to: prod, tags: [tested]}
`, 'registries.yaml', { environ: {} }));

  it('prunes every registry with a policy by default; refuses prod and registries without one', () => {
    expect(registriesToPrune(config, undefined).map((r) => r.name)).toEqual(['sandbox', 'snap']);
    expect(() => registriesToPrune(config, ['prod'])).toThrow(/refusing to prune registry "prod" \(role prod\)/);
    expect(() => registriesToPrune(config, ['tests'])).toThrow(/registry "tests" has no retention policy/);
  });

  it('later registries: the stages downstream, then every prod and replica; repository paths follow namespaces', () => {
    expect(laterRegistries(config, config.registries.snap!).map((r) => r.name)).toEqual(['tests', 'prod', 'eu']);
    expect(laterRegistries(config, config.registries.sandbox!).map((r) => r.name)).toEqual(['prod', 'eu']);
    expect(counterpart(config.registries.snap!, config.registries.eu!, 'builds/team/app')).toBe('mirror/team/app');
  });

  it('stage tags: what stages read here and the literal tags they write here', () => {
    expect([...stageTags(config, config.registries.snap!)]).toEqual(['latest']);
    expect([...stageTags(config, config.registries.tests!)].sort()).toEqual(['tested']);
  });

  it('repositories: the topology\'s, plus catalog entries inside this registry\'s namespace only', () => {
    const catalog = ['builds/x', 'builds/other/y', 'elsewhere/z', 'builds/team/app'];
    expect(repositoriesToPrune(config, config.registries.snap!, catalog)).toEqual([
      { repository: 'builds/team/app', source: 'both' },
      { repository: 'builds/x', source: 'catalog' },
    ]);
  });
});
