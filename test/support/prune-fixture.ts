/**
 * A CI repository of 30 tags for retention tests, on real registries (ci with deletes enabled,
 * ci-tests, prod): old builds (config `created` in 2024), a digest promoted into ci-tests, one held by
 * prod without any record, one with a pending approval (1 of 2), a digest shared by an old build tag
 * and a version tag, two eligible tags on one digest, a stage source tag, young and newest builds,
 * an artifact without a date, an eligible index and a kept index whose child has an old tag of its
 * own. `expected` is the decision every tag must get.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staticCredentials } from '../../src/auth/credential.js';
import { approve } from '../../src/ops/promotion/approvals.js';
import type { PromotionContext } from '../../src/ops/promotion/context.js';
import { promote } from '../../src/ops/promotion/promote.js';
import { setStatus } from '../../src/ops/promotion/statuses.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import type { RegistryClient } from '../../src/registry/registry-client.js';
import { buildArtifact, buildImage, buildIndex, pushImage, uniqueRepo, type Built } from './images.js';
import type { TestRegistry } from './registry.js';

export interface PruneFixture {
  repo: string;
  file: string;
  topology: Topology;
  client: RegistryClient;
  /** tag → digest as pushed. */
  digests: Record<string, string>;
  /** tag → [action, reason] every run must report. */
  expected: Record<string, ['delete' | 'keep', string]>;
  /** Digest of the index child kept through `v2.0.0`. */
  childDigest: string;
  close(): Promise<void>;
}

const DAY = 86_400_000;
/** Records written "60 days ago", so they date their digests as old. */
const OLD_RECORDS = Date.now() - 60 * DAY;

export function pruneTopologyText(ci: string, tests: string, prod: string, repo: string): string {
  return `version: 1
registries:
  ci:
    role: ci
    url: ${ci}
    retention: { keepNewest: 5, olderThan: 30d, keep: ['^v\\d'] }
  ci-tests: {role: ci, url: ${tests}}
  prod: {role: prod, url: ${prod}}
promotion:
  images:
    - {name: app, repository: ${repo}, source: ci}
  stages:
    - name: tested
      from: ci
      to: ci-tests
      tags: [latest]
      gates: [{status: tests, equals: passed}]
    - name: release
      from: ci
      to: prod
      tags: [candidate]
      targetTags: [stable]
      gates: [{status: tests, equals: passed}]
      approval: {type: manual, quorum: 2}
`;
}

export async function setupPruneFixture(ci: TestRegistry, tests: TestRegistry, prod: TestRegistry): Promise<PruneFixture> {
  const repo = uniqueRepo('app');
  const text = pruneTopologyText(ci.url, tests.url, prod.url, repo);
  const dir = mkdtempSync(join(tmpdir(), 'regtopo-prune-'));
  const file = join(dir, 'registries.yaml');
  writeFileSync(file, text);
  const topology = requireValidTopology(parseTopology(text, file));
  const client = clientForTopology(topology, { credentials: staticCredentials({}) });
  const ctx: PromotionContext = { topology, client, by: 'ci-bot', now: () => OLD_RECORDS };

  const digests: Record<string, string> = {};
  const push = async (tag: string, built: Built): Promise<void> => {
    await pushImage(ci.url, repo, tag, built);
    digests[tag] = built.digest;
  };
  const old = (i: number) => buildImage({ layers: [256], created: new Date(Date.UTC(2024, 0, 1 + i)).toISOString() });
  const young = (days: number) => buildImage({ layers: [256], created: new Date(Date.now() - days * DAY).toISOString() });

  const builds = Array.from({ length: 16 }, (_, i) => old(i + 1));
  for (let i = 0; i < 16; i++) await push(`build-${String(i + 1).padStart(2, '0')}`, builds[i]!);
  await push('build-11-dup', builds[10]!);
  await push('v1.0.0', builds[2]!);
  await push('latest', old(30));
  for (let d = 1; d <= 7; d++) await push(`new-${d}`, young(d));
  await push('notes', buildArtifact({ subject: builds[0]!.descriptor, artifactType: 'application/vnd.example.notes' }));
  const childA = old(40);
  const childB = buildImage({ layers: [256], created: new Date(Date.UTC(2024, 1, 10)).toISOString(), platform: { os: 'linux', architecture: 'arm64' } });
  await push('multi-old', buildIndex([old(41), old(42)]));
  await push('v2.0.0', buildIndex([childA, childB]));
  await push('build-child', childA);

  const ref = (tag: string) => `${ci.host}/${repo}:${tag}`;
  // build-01: an eligible digest with an old failed status, deleted with it.
  await setStatus(ref('build-01'), 'tests', 'failed', { ...ctx, topology });
  // build-05: promoted into ci-tests (promotion records in both repositories).
  await setStatus(ref('build-05'), 'tests', 'passed', { ...ctx, topology });
  const promoted = await promote(ctx, { stage: 'tested', digest: digests['build-05']! });
  if (!promoted.ok) throw new Error(`fixture: promote failed: ${JSON.stringify(promoted.results[0]?.error)}`);
  // build-07: prod holds the digest, put there without any record.
  await pushImage(prod.url, repo, undefined, builds[6]!);
  // build-09: one approval of the two the release stage needs.
  await setStatus(ref('build-09'), 'tests', 'passed', { ...ctx, topology });
  await approve({ ...ctx, by: 'alice' }, { image: 'app', digest: digests['build-09']!, stage: 'release' });

  const expected: PruneFixture['expected'] = {};
  for (let i = 1; i <= 16; i++) expected[`build-${String(i).padStart(2, '0')}`] = ['delete', 'eligible'];
  Object.assign(expected, {
    'build-03': ['keep', 'shared-digest'],
    'build-05': ['keep', 'promoted'],
    'build-07': ['keep', 'in-prod'],
    'build-09': ['keep', 'pending-approval'],
    'build-11-dup': ['delete', 'eligible'],
    'v1.0.0': ['keep', 'keep-pattern'],
    latest: ['keep', 'stage-tag'],
    'new-1': ['keep', 'newest'], 'new-2': ['keep', 'newest'], 'new-3': ['keep', 'newest'], 'new-4': ['keep', 'newest'], 'new-5': ['keep', 'newest'],
    'new-6': ['keep', 'young'], 'new-7': ['keep', 'young'],
    notes: ['keep', 'no-age'],
    'multi-old': ['delete', 'eligible'],
    'v2.0.0': ['keep', 'keep-pattern'],
    'build-child': ['keep', 'index-child'],
  });
  return { repo, file, topology, client, digests, expected, childDigest: childA.digest, close: () => client.close() };
}
