/**
 * A three-registry promotion topology on real local registries (ci-snapshots → ci-tests → prod),
 * written to a temporary registries.yaml for CLI runs and loaded for library calls.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staticCredentials } from '../../src/auth/credential.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import type { RegistryClient } from '../../src/registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import { buildImage, pushImage, uniqueRepo, type BuiltImage } from './images.js';
import { startTestRegistry, type TestRegistry } from './registry.js';

export interface PromotionRegistries {
  snapshots: TestRegistry;
  tests: TestRegistry;
  prod: TestRegistry;
  stop(): Promise<void>;
}

export async function startPromotionRegistries(): Promise<PromotionRegistries> {
  const [snapshots, tests, prod] = await Promise.all([startTestRegistry('plain'), startTestRegistry('plain'), startTestRegistry('plain')]);
  return { snapshots, tests, prod, stop: async () => { await Promise.all([snapshots.stop(), tests.stop(), prod.stop()]); } };
}

export interface TopologyOptions {
  /** YAML for the prod stage's approval (flow style), e.g. `{type: manual, quorum: 2}`. */
  approval?: string;
  /** Override registry URLs (e.g. a fault proxy in front of prod). */
  prodUrl?: string;
  /** Override the ci-tests registry URL (e.g. a fault proxy in front of the prod stage's source). */
  testsUrl?: string;
  /** A `keys:` section body, one `name: value` per entry (flow YAML values), e.g. `alice: 'ssh-ed25519 …'`. */
  keys?: Record<string, string>;
  /** Flow YAML for the prod stage's gates (default `[{status: scan, in: [clean, accepted]}]`). */
  prodGates?: string;
  /** Flow YAML for the prod stage's targetTags (default `[tested, '{version}']`). */
  prodTargetTags?: string;
  /** No approval on the prod stage at all. */
  noApproval?: boolean;
  /** Extra lines for the `promotion:` section, e.g. `clockSkew: 5m`. */
  promotionExtra?: string;
}

export interface PromotionFixture {
  repo: string;
  topology: Topology;
  /** Path of the registries.yaml written for CLI runs, and its directory. */
  file: string;
  dir: string;
  client: RegistryClient;
}

export function promotionFixture(regs: PromotionRegistries, options: TopologyOptions = {}): PromotionFixture {
  const repo = uniqueRepo('app');
  const approval = options.approval ?? '{type: manual}';
  const text = `version: 1
registries:
  ci-snapshots: {role: ci, url: ${regs.snapshots.url}}
  ci-tests: {role: ci, url: ${options.testsUrl ?? regs.tests.url}}
  prod: {role: prod, url: ${options.prodUrl ?? regs.prod.url}}
${options.keys ? `keys:\n${Object.entries(options.keys).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n` : ''}promotion:
${options.promotionExtra ? `  ${options.promotionExtra}\n` : ''}  images:
    - {name: app, repository: ${repo}, source: ci-snapshots}
  stages:
    - name: tested
      from: ci-snapshots
      to: ci-tests
      tags: [latest]
      targetTags: [tested]
      gates: [{status: tests, equals: passed}]
    - name: prod
      from: ci-tests
      to: prod
      tags: [tested]
      targetTags: ${options.prodTargetTags ?? "[tested, '{version}']"}
      gates: ${options.prodGates ?? '[{status: scan, in: [clean, accepted]}]'}
${options.noApproval ? '' : `      approval: ${approval}\n`}`;
  const dir = mkdtempSync(join(tmpdir(), 'regtopo-promo-'));
  const file = join(dir, 'registries.yaml');
  writeFileSync(file, text);
  const topology = requireValidTopology(parseTopology(text, file));
  const client = clientForTopology(topology, { credentials: staticCredentials({}) });
  return { repo, topology, file, dir, client };
}

/** Pushes a fresh image with a version label to `registry` as `repo:tag`. */
export async function pushVersioned(registry: TestRegistry, repo: string, tag: string, version: string): Promise<BuiltImage> {
  const built = buildImage({ layers: [2048], labels: { 'org.opencontainers.image.version': version } });
  await pushImage(registry.url, repo, tag, built);
  return built;
}
