import { describe, expect, it } from 'vitest';
import { findRegistryBinary } from '../../src/local/local-registry.js';
import { runCli } from './run-cli.js';

describe.skipIf(!findRegistryBinary())('regtopo demo (the embedded default run)', () => {
  it('runs the whole story offline and reports each step as JSON', async () => {
    const r = await runCli(['demo', '--output', 'json']);
    expect(r.code).toBe(0);
    const steps = r.json().steps as Array<{ step: string; detail: Record<string, any> }>;
    const by = Object.fromEntries(steps.map((s) => [s.step, s.detail]));
    expect(Object.keys(by.start!.registries)).toEqual(['sandbox', 'ci-tests', 'ci-snapshots', 'prod', 'prod-eu', 'prod-us', 'archive']);
    expect(by.copy!.digest).toBe(by.push!.digest);
    expect(by['copy-again']!.upToDate).toBe(true);
    expect(by.tag!.tags).toEqual([{ tag: 'stable', action: 'created' }]);
    expect(by['copy-platform']!.platformSubset).toBe(true);
    expect(by.policy!.refused).toBe(true);
    expect(by.check!.findings).toBe(6);
    // Replication and backup (issue 11): copied to both replicas, a rerun costs HEADs and listings only,
    // a backup, and a restore into an empty registry with identical digests.
    expect(by['replication:replicate']!.ok).toBe(true);
    expect(by['replication:replicate']!.summary.replicas).toBe(2);
    expect(by['replication:replicate']!.summary.copied).toBeGreaterThan(0);
    const again = by['replication:replicate-again']!;
    expect(again.summary.copied + again.summary.updated + again.summary.failed).toBe(0);
    expect(Object.keys(again.requests).sort()).toEqual(['GET', 'HEAD']);
    // One HEAD per tag on prod (shared by both replicas) and one per tag on each replica.
    const tags = again.summary['in-sync'] / 2;
    expect(again.requests.HEAD).toBe(tags * 3);
    expect(by['replication:backup']!.summary.added).toBeGreaterThan(0);
    expect(by['replication:restore']!).toMatchObject({ identical: true });
    expect(by['replication:restore']!.restored).toBe(by['replication:backup']!.summary.added);
  });

  it('narrates in text mode', async () => {
    const r = await runCli(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('copy into prod refused: refusing to copy into registry "prod" (role prod)');
    expect(r.stdout).toMatch(/promote → prod: refused \[E_GATE_FAILED\].*security-scan missing/);
    expect(r.stdout).toMatch(/promote → prod: refused \[E_APPROVAL_PENDING\]/);
    expect(r.stdout).toMatch(/promote → prod: promoted \(tested created, 1\.0\.0 created\)/);
    expect(r.stdout).toMatch(/replicate again: \d+ tags in sync, nothing written/);
    expect(r.stdout).toMatch(/restore into an empty registry .*digests identical to prod/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('demo finished');
  });
});
