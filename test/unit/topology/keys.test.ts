/**
 * `keys:` in the topology: inline lines checked when parsed, key files read by the loader (with
 * the line of the entry that names them), signedBy names that must exist, approvers without a key
 * warned about, and promotion.clockSkew.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trustedKeys } from '../../../src/ops/promotion/context.js';
import { formatDiagnostic, loadTopology, parseTopology, requireValidTopology } from '../../../src/topology/index.js';
import { makeSshKey } from '../../support/ssh-keys.js';

const alice = makeSshKey('ed25519', 'alice@laptop');

function topology(keys: string, approval = '{type: manual, approvers: [alice]}', gates = '[]', extra = ''): string {
  return `version: 1
registries:
  ci: {role: ci, url: http://127.0.0.1:5102}
  prod: {role: prod, url: http://127.0.0.1:5104}
keys:
${keys}
promotion:
${extra}
  images: [{name: app, repository: app, source: ci}]
  stages:
    - name: prod
      from: ci
      to: prod
      tags: [tested]
      gates: ${gates}
      approval: ${approval}
`;
}

const report = (text: string) => {
  const r = parseTopology(text, 'registries.yaml', { environ: {} });
  return [...r.errors, ...r.warnings].map((d) => formatDiagnostic('registries.yaml', d));
};

describe('topology keys', () => {
  it('an inline key line is parsed; approvers with keys draw no warning', () => {
    const text = topology(`  alice: '${alice.line}'`);
    expect(report(text)).toEqual([]);
    const config = requireValidTopology(parseTopology(text, 'registries.yaml', { environ: {} }));
    expect(trustedKeys(config).get('alice')?.algorithm).toBe('ssh-ed25519');
  });

  it('an invalid inline key is an error at its line', () => {
    expect(report(topology('  alice: ssh-ed25519 not-base64!'))).toEqual([expect.stringMatching(/^registries\.yaml:6:\d+: error \[invalid-key\] key "alice": expected one OpenSSH public key line/)]);
  });

  it('[unauthenticated-approval]: an approver without a key, or a manual stage without approvers, is warned about', () => {
    expect(report(topology(`  alice: '${alice.line}'`, '{type: manual, approvers: [alice, carol]}'))).toEqual([
      expect.stringMatching(/warning \[unauthenticated-approval\] approver "carol" of stage "prod" has no key in keys:/),
    ]);
    expect(report(topology(`  alice: '${alice.line}'`, '{type: manual}'))).toEqual([
      expect.stringMatching(/warning \[unauthenticated-approval\] stage "prod" lists no approvers: anyone who can write its source repository can approve/),
    ]);
  });

  it('a gate signedBy must name declared keys', () => {
    expect(report(topology(`  alice: '${alice.line}'`, '{type: manual, approvers: [alice]}', '[{status: scan, equals: clean, signedBy: [scanner]}]'))).toEqual([
      expect.stringMatching(/error \[unknown-signing-key\] gate scan of stage "prod" trusts key "scanner", which keys: does not declare \(known: alice\)/),
    ]);
  });

  it('{ file: } is relative to the topology file; the loader reads it and reports a missing one at its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-keys-'));
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'alice.pub'), `# alice's laptop\n${alice.line}\n`);
    writeFileSync(join(dir, 'ok.yaml'), topology('  alice: { file: keys/alice.pub }'));
    const ok = await loadTopology({ path: join(dir, 'ok.yaml') }, { environ: {} });
    expect(ok.errors).toEqual([]);
    expect(trustedKeys(requireValidTopology(ok)).get('alice')?.fingerprint).toMatch(/^SHA256:/);
    writeFileSync(join(dir, 'bad.yaml'), topology('  alice: { file: keys/missing.pub }'));
    const bad = await loadTopology({ path: join(dir, 'bad.yaml') }, { environ: {} });
    expect(bad.valid).toBe(false);
    expect(bad.errors.map((d) => formatDiagnostic('bad.yaml', d))).toEqual([expect.stringMatching(/^bad\.yaml:6:\d+: error \[invalid-key\] keys\.alice \(file keys\/missing\.pub\): cannot read .*missing\.pub: no such file/)]);
  });

  it('promotion.clockSkew takes seconds or a unit', () => {
    const skew = (v: string) => requireValidTopology(parseTopology(topology(`  alice: '${alice.line}'`, undefined, '[]', `  clockSkew: ${v}`), 'r.yaml', { environ: {} })).promotion.clockSkewMs;
    expect(skew('90')).toBe(90_000);
    expect(skew('5m')).toBe(300_000);
    expect(report(topology(`  alice: '${alice.line}'`, undefined, '[]', '  clockSkew: soon'))[0]).toMatch(/a duration is seconds/);
  });
});
