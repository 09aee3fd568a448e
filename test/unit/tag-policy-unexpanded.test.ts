import { describe, expect, it } from 'vitest';
import { expandTagTemplates, isUnexpanded } from '../../src/ops/promotion/tag-policy.js';
import { versionFlag, type PromotionPlan } from '../../src/ops/promotion/plan.js';

const D = `sha256:${'ab'.repeat(32)}`;
const now = Date.UTC(2026, 0, 2);

describe('tag templates left unexpanded for listings (approvals --pending)', () => {
  it('keeps {version} as written and expands everything else', () => {
    const tags = expandTagTemplates(['tested', '{version}', 'v{version}-{date}', 'sha-{digest12}'], { digest: D, now, keepVersion: true });
    expect(tags).toEqual(['tested', '{version}', 'v{version}-20260102', 'sha-abababababab']);
    expect(tags.map(isUnexpanded)).toEqual([false, true, true, false]);
  });

  it('still refuses a template that is invalid for another reason', () => {
    expect(() => expandTagTemplates(['bad tag {version}'], { digest: D, now, keepVersion: true })).toThrow(/invalid tag/);
  });

  it('with a version, keepVersion changes nothing', () => {
    const args = { digest: D, now, version: '1.2.3' };
    expect(expandTagTemplates(['{version}', 'tested'], { ...args, keepVersion: true })).toEqual(expandTagTemplates(['{version}', 'tested'], args));
  });

  it('the approve hint asks for --version <VERSION> when the plan needs one, and names a known one', () => {
    const base = {} as PromotionPlan;
    expect(versionFlag({ ...base, needsVersion: true })).toBe(' --version <VERSION>');
    expect(versionFlag({ ...base, version: '2.0.0' })).toBe(' --version 2.0.0');
    expect(versionFlag(base)).toBe('');
  });
});
