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
  });

  it('narrates in text mode', async () => {
    const r = await runCli(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('copy into prod refused: refusing to copy into registry "prod" (role prod)');
    expect(r.stdout).toMatch(/promote → prod: refused \[E_GATE_FAILED\].*security-scan missing/);
    expect(r.stdout).toMatch(/promote → prod: refused \[E_APPROVAL_PENDING\]/);
    expect(r.stdout).toMatch(/promote → prod: promoted \(tested created, 1\.0\.0 created\)/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('demo finished');
  });
});
