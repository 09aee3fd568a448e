import { describe, expect, it } from 'vitest';
import { evaluateGates } from '../../src/ops/promotion/gates.js';
import { hashPlan } from '../../src/ops/promotion/plan.js';
import { isRecordTag, newRecordTag, parseRecordTag, recordTagPrefix } from '../../src/ops/promotion/records.js';
import { expandTagTemplates } from '../../src/ops/promotion/tag-policy.js';
import { expandHeaderValue, isHeaderValueSpec } from '../../src/topology/header-template.js';

const D = `sha256:${'ab'.repeat(32)}`;

describe('promotion building blocks', () => {
  it('record tags are unique, valid, under 128 characters and carry their time', () => {
    const now = Date.UTC(2025, 0, 2);
    const a = newRecordTag('status', D, 'unit-tests', now);
    const b = newRecordTag('status', D, 'unit-tests', now);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThan(128);
    expect(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(a)).toBe(true);
    expect(isRecordTag(a)).toBe(true);
    expect(a.startsWith(recordTagPrefix('status', D))).toBe(true);
    expect(parseRecordTag(a)).toMatchObject({ kind: 'status', time: now });
  });

  it('expands tag templates', () => {
    const now = Date.UTC(2025, 4, 6, 23, 59);
    expect(expandTagTemplates(['tested', '{version}', 'v{version}-{date}', 'sha-{digest12}'], { digest: D, version: '1.2.3', now }))
      .toEqual(['tested', '1.2.3', 'v1.2.3-20250506', 'sha-abababababab']);
    expect(() => expandTagTemplates(['{version}'], { digest: D, now })).toThrow(/--version/);
  });

  it('gates are an AND of equals / in, with the evidence that satisfied them', () => {
    const s = (name: string, value: string, record: string) => ({ name, value, by: 'x', at: 't', record, tag: 't' });
    const ok = evaluateGates([{ status: 'tests', equals: 'passed' }, { status: 'scan', in: ['clean', 'waived'] }], [s('tests', 'passed', 'r1'), s('scan', 'waived', 'r2')]);
    expect(ok).toMatchObject({ passed: true, evidence: ['r1', 'r2'] });
    const bad = evaluateGates([{ status: 'tests', equals: 'passed' }, { status: 'scan', in: ['clean'] }], [s('tests', 'failed', 'r1')]);
    expect(bad.passed).toBe(false);
    expect(bad.results.map((r) => r.reason)).toEqual(['tests=failed (wants passed)', 'scan missing (wants clean)']);
  });

  it('the plan hash ignores order but not content', () => {
    const h = hashPlan(D, ['r/a:1', 'r/a:tested'], ['e2', 'e1']);
    expect(hashPlan(D, ['r/a:tested', 'r/a:1'], ['e1', 'e2'])).toBe(h);
    expect(hashPlan(D, ['r/a:tested', 'r/a:2'], ['e1', 'e2'])).not.toBe(h);
    expect(hashPlan(D, ['r/a:tested', 'r/a:1'], ['e1'])).not.toBe(h);
  });
});

describe('webhook header values', () => {
  it('accepts a variable name or text around ${VAR} references, nothing else', () => {
    for (const ok of ['HOOK_TOKEN', '_T1', 'Bearer ${HOOK_TOKEN}', '${A}:${B}', 'token=${T}; team=x']) expect(isHeaderValueSpec(ok), ok).toBe(true);
    for (const bad of ['Bearer $TOKEN', 'Bearer secret', '${1X}', '${A', 'a ${A}\r\nX-Evil: 1', '$${A}', '']) expect(isHeaderValueSpec(bad), bad).toBe(false);
  });

  it('fills variables in from the environment and names what is missing', () => {
    const env = { HOOK_TOKEN: 's3cret', TEAM: 'release' };
    expect(expandHeaderValue('Authorization', 'HOOK_TOKEN', env)).toBe('s3cret');
    expect(expandHeaderValue('Authorization', 'Bearer ${HOOK_TOKEN}', env)).toBe('Bearer s3cret');
    expect(expandHeaderValue('X-Who', '${TEAM}/${HOOK_TOKEN}', env)).toBe('release/s3cret');
    expect(() => expandHeaderValue('Authorization', 'Bearer ${NOPE}', env)).toThrow(/header Authorization: environment variable NOPE not set/);
    expect(() => expandHeaderValue('X-A', 'A', { A: 'x\r\nX-Evil: 1' })).toThrow(/holds a line break/);
  });
});
