/**
 * A prod registry with two replicas (prod-eu, prod-us) plus the CI pair that promotes into prod, each
 * real registry behind a fault proxy so tests can count every request a replication makes, written
 * to a temporary registries.yaml for CLI runs and loaded for library calls.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staticCredentials } from '../../src/auth/credential.js';
import { clientForTopology } from '../../src/ops/topology-client.js';
import type { RegistryClient } from '../../src/registry/registry-client.js';
import { parseTopology, requireValidTopology } from '../../src/topology/load.js';
import type { Topology } from '../../src/topology/model.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { uniqueRepo } from './images.js';
import { startTestRegistry, type TestRegistry } from './registry.js';

export interface ReplicationRegistries {
  snapshots: TestRegistry;
  tests: TestRegistry;
  prod: TestRegistry;
  eu: TestRegistry;
  us: TestRegistry;
  proxies: { prod: FaultProxy; eu: FaultProxy; us: FaultProxy };
  stop(): Promise<void>;
}

export async function startReplicationRegistries(): Promise<ReplicationRegistries> {
  const [snapshots, tests, prod, eu, us] = await Promise.all([1, 2, 3, 4, 5].map(() => startTestRegistry('plain')));
  const [pProd, pEu, pUs] = await Promise.all([prod!, eu!, us!].map((r) => startFaultProxy(r.url)));
  return {
    snapshots: snapshots!, tests: tests!, prod: prod!, eu: eu!, us: us!, proxies: { prod: pProd!, eu: pEu!, us: pUs! },
    stop: async () => {
      await Promise.all([pProd!, pEu!, pUs!].map((p) => p.stop()));
      await Promise.all([snapshots!, tests!, prod!, eu!, us!].map((r) => r.stop()));
    },
  };
}

export interface ReplicationFixture {
  repo: string;
  topology: Topology;
  file: string;
  dir: string;
  client: RegistryClient;
}

export interface ReplicationFixtureOptions {
  /** URL for prod-us instead of its proxy (e.g. a closed port: a replica that is down). */
  usUrl?: string;
  /** Retry attempts of the client (1: a down replica fails at once). */
  attempts?: number;
}

export function replicationFixture(regs: ReplicationRegistries, options: ReplicationFixtureOptions = {}): ReplicationFixture {
  const repo = uniqueRepo('app');
  const text = `version: 1
registries:
  ci-snapshots: {role: ci, url: ${regs.snapshots.url}}
  ci-tests: {role: ci, url: ${regs.tests.url}}
  prod: {role: prod, url: ${regs.proxies.prod.url}, replicas: [prod-eu, prod-us]}
  prod-eu: {role: replica, url: ${regs.proxies.eu.url}}
  prod-us: {role: replica, url: ${options.usUrl ?? regs.proxies.us.url}}
promotion:
  images:
    - {name: app, repository: ${repo}, source: ci-snapshots}
  stages:
    - {name: tested, from: ci-snapshots, to: ci-tests, tags: [latest], targetTags: [tested], gates: [{status: tests, equals: passed}]}
    - {name: prod, from: ci-tests, to: prod, tags: [tested], targetTags: [tested, '{version}'], gates: [{status: scan, in: [clean]}]}
`;
  const dir = mkdtempSync(join(tmpdir(), 'regtopo-repl-'));
  const file = join(dir, 'registries.yaml');
  writeFileSync(file, text);
  const topology = requireValidTopology(parseTopology(text, file));
  const client = clientForTopology(topology, { credentials: staticCredentials({}), ...(options.attempts ? { retry: { attempts: options.attempts } } : {}) });
  return { repo, topology, file, dir, client };
}
