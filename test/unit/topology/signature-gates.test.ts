/**
 * Signature gates in the topology (issue 14): PEM public keys (cosign.pub) in `keys:` inline or from
 * a file, `{ signature: { key } }` naming a declared key (a typo is an error at its line with a
 * suggestion), keyless gates with an issuer, a subject pattern compiled at parse time and a trusted
 * root resolved against the topology file, and status gates left exactly as they were.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegtopoError } from '../../../src/errors.js';
import { trustedKeys } from '../../../src/ops/promotion/context.js';
import { resolveKey } from '../../../src/signing/trusted-keys.js';
import { formatDiagnostic, loadTopology, parseTopology, requireValidTopology } from '../../../src/topology/index.js';
import { makeCosignKey } from '../../support/cosign-signatures.js';
import { makeSshKey } from '../../support/ssh-keys.js';

const signer = makeCosignKey('ecdsa');
const indented = (pem: string, by: string) => pem.trim().split('\n').map((l) => `${by}${l}`).join('\n');

function topology(keys: string, gates: string): string {
  return `version: 1
registries:
  ci: {role: ci, url: http://127.0.0.1:5102}
  prod: {role: prod, url: http://127.0.0.1:5104}
keys:
${keys}
promotion:
  images: [{name: app, repository: app, source: ci}]
  stages:
    - name: prod
      from: ci
      to: prod
      tags: [tested]
      gates: ${gates}
`;
}

const inlineKey = `  release-signer: |\n${indented(signer.publicPem, '    ')}`;
const report = (text: string) => {
  const r = parseTopology(text, 'registries.yaml', { environ: {} });
  return [...r.errors, ...r.warnings].map((d) => formatDiagnostic('registries.yaml', d));
};
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('signature gates in the topology', () => {
  it('an inline PEM key (cosign.pub) and a key gate naming it are valid; status gates stay apart', () => {
    const text = topology(inlineKey, '[{status: scan, equals: clean}, {signature: {key: release-signer}}]');
    expect(report(text)).toEqual([]);
    const config = requireValidTopology(parseTopology(text, 'registries.yaml', { environ: {} }));
    expect(trustedKeys(config).get('release-signer')?.algorithm).toBe('ecdsa-p256');
    const stage = config.promotion.stages[0]!;
    expect(stage.gates).toEqual([{ status: 'scan', equals: 'clean' }]);
    expect(stage.signatureGates).toEqual([{ kind: 'key', key: 'release-signer', at: 1 }]);
  });

  it('a stage without signature gates has none (the model is unchanged for status-only stages)', () => {
    const config = requireValidTopology(parseTopology(topology(inlineKey, '[{status: scan, equals: clean}]'), 'r.yaml', { environ: {} }));
    expect(config.promotion.stages[0]!.signatureGates).toBeUndefined();
  });

  it('a key gate naming an undeclared key is an error at its line and column, with a suggestion', () => {
    const text = topology(inlineKey, '[{status: scan, equals: clean}, {signature: {key: release-signr}}]');
    const line = lineOf(text, 'release-signr');
    expect(report(text)).toEqual([
      `registries.yaml:${line}:${text.split('\n')[line - 1]!.indexOf('release-signr') + 1}: error [unknown-signing-key] signature gate of stage "prod" wants a signature by key "release-signr", which keys: does not declare (did you mean "release-signer"?)`,
    ]);
    expect(report(topology(inlineKey, '[{signature: {key: builder}}]'))).toEqual([expect.stringMatching(/key "builder", which keys: does not declare \(known: release-signer\)$/)]);
  });

  it('a signedBy after a signature gate is still reported at its own entry', () => {
    const text = topology(inlineKey, '[{signature: {key: release-signer}}, {status: scan, equals: clean, signedBy: [scanr]}]');
    expect(report(text)).toEqual([expect.stringMatching(/error \[unknown-signing-key\] gate scan of stage "prod" trusts key "scanr"/)]);
  });

  it('bad PEM inline is an error naming the key at its line', () => {
    const text = topology('  release-signer: |\n    -----BEGIN PUBLIC KEY-----\n    AAAA\n    -----END PUBLIC KEY-----', '[{signature: {key: release-signer}}]');
    expect(report(text)).toEqual([expect.stringMatching(/^registries\.yaml:6:\d+: error \[invalid-key\] key "release-signer": PEM public key does not decode/)]);
  });

  it('a PEM key file is read whole; a bad one is E_CONFIG in one line naming the key and the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-sigkeys-'));
    writeFileSync(join(dir, 'cosign.pub'), signer.publicPem);
    writeFileSync(join(dir, 'ok.yaml'), topology('  release-signer: {file: cosign.pub}', '[{signature: {key: release-signer}}]'));
    const ok = await loadTopology({ path: join(dir, 'ok.yaml') }, { environ: {} });
    expect(ok.errors).toEqual([]);
    expect(trustedKeys(requireValidTopology(ok)).get('release-signer')?.algorithm).toBe('ecdsa-p256');

    writeFileSync(join(dir, 'broken.pub'), '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n');
    writeFileSync(join(dir, 'bad.yaml'), topology('  release-signer: {file: broken.pub}', '[{signature: {key: release-signer}}]'));
    const bad = await loadTopology({ path: join(dir, 'bad.yaml') }, { environ: {} });
    expect(bad.errors.map((d) => formatDiagnostic('bad.yaml', d))).toEqual([expect.stringMatching(/^bad\.yaml:6:\d+: error \[invalid-key\] keys\.release-signer \(file broken\.pub\): PEM public key does not decode/)]);
    let err: unknown;
    try {
      resolveKey({ name: 'release-signer', file: join(dir, 'broken.pub'), fileAsWritten: 'broken.pub' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegtopoError);
    expect((err as RegtopoError).code).toBe('E_CONFIG');
    expect((err as RegtopoError).message).toMatch(/^keys\.release-signer \(file broken\.pub\): PEM public key does not decode[^\n]*$/);
  });

  it('ed25519 and RSA PEM keys are accepted too', () => {
    for (const [type, algorithm] of [['ed25519', 'ed25519'], ['rsa', 'rsa']] as const) {
      const pem = makeCosignKey(type).publicPem;
      const config = requireValidTopology(parseTopology(topology(`  k: |\n${indented(pem, '    ')}`, '[{signature: {key: k}}]'), 'r.yaml', { environ: {} }));
      expect(trustedKeys(config).get('k')?.algorithm).toBe(algorithm);
    }
  });

  it('a keyless gate: issuer, subject pattern and trusted root (relative to the topology file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtopo-keyless-'));
    const text = topology(inlineKey, "[{signature: {identity: {issuer: 'https://token.actions.githubusercontent.com', subject: '^https://github.com/acme/app/'}, trustedRoot: sigstore-root.json}}]");
    writeFileSync(join(dir, 'registries.yaml'), text);
    // validate reads the trusted root like a key file, and reports a missing one at its line.
    const missing = await loadTopology({ path: join(dir, 'registries.yaml') }, { environ: {} });
    expect(missing.errors.map((d) => formatDiagnostic('registries.yaml', d))).toEqual([
      `registries.yaml:${lineOf(text, 'sigstore-root.json')}:${text.split('\n')[lineOf(text, 'sigstore-root.json') - 1]!.indexOf('sigstore-root.json') + 1}: error [invalid-trusted-root] trustedRoot sigstore-root.json: cannot read ${join(dir, 'sigstore-root.json')}: no such file`,
    ]);
    writeFileSync(join(dir, 'sigstore-root.json'), '[1, 2]');
    expect((await loadTopology({ path: join(dir, 'registries.yaml') }, { environ: {} })).errors[0]?.message).toMatch(/not a JSON object/);
    writeFileSync(join(dir, 'sigstore-root.json'), JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));
    const loaded = await loadTopology({ path: join(dir, 'registries.yaml') }, { environ: {} });
    expect(loaded.errors).toEqual([]);
    expect(requireValidTopology(loaded).promotion.stages[0]!.signatureGates).toEqual([{
      kind: 'keyless', issuer: 'https://token.actions.githubusercontent.com', subject: '^https://github.com/acme/app/',
      trustedRoot: join(dir, 'sigstore-root.json'), trustedRootAsWritten: 'sigstore-root.json', at: 0,
    }]);
  });

  it('an invalid subject pattern, a missing trusted root, and key + identity together are errors at their line', () => {
    const keyless = (sig: string) => report(topology(inlineKey, `[{signature: ${sig}}]`));
    expect(keyless("{identity: {issuer: 'https://issuer.example', subject: '^(unclosed'}, trustedRoot: root.json}")).toEqual([
      expect.stringMatching(/^registries\.yaml:\d+:\d+: error \[schema\] invalid regular expression: .*\(unclosed/),
    ]);
    expect(keyless("{identity: {issuer: 'https://issuer.example', subject: '^x'}}")).toEqual([expect.stringMatching(/a keyless signature gate needs trustedRoot/)]);
    expect(keyless("{key: release-signer, identity: {issuer: 'https://issuer.example', subject: x}, trustedRoot: r.json}")).toEqual([expect.stringMatching(/exactly one of key \(a name in keys:\) or identity/)]);
    expect(keyless("{identity: {issuer: 'not a url', subject: x}, trustedRoot: r.json}")).toEqual([expect.stringMatching(/issuer must be an http\(s\) URL/)]);
    expect(keyless('{kee: release-signer}')).toEqual(expect.arrayContaining([expect.stringMatching(/unknown key "kee" \(did you mean "key"\?\)/)]));
  });

  it('a signature gate with status fields, and status gate typos, are reported as before', () => {
    expect(report(topology(inlineKey, '[{signature: {key: release-signer}, status: scan}]'))).toEqual([expect.stringMatching(/a signature gate takes no status/)]);
    expect(report(topology(inlineKey, '[{status: scan, equal: clean}]'))).toEqual(expect.arrayContaining([expect.stringMatching(/unknown key "equal" \(did you mean "equals"\?\)/)]));
    expect(report(topology(inlineKey, '[{status: scan}]'))).toEqual([expect.stringMatching(/a gate needs exactly one of equals or in/)]);
    expect(report(topology(inlineKey, '[{equals: clean}]'))).toEqual([expect.stringMatching(/a gate needs status \(with equals or in\) or signature/)]);
  });

  it('[key-kind-mismatch]: a signature gate naming an OpenSSH key, or signedBy naming a PEM key, is warned about', () => {
    const ssh = makeSshKey('ed25519');
    const keys = `${inlineKey}\n  alice: '${ssh.line}'`;
    expect(report(topology(keys, '[{signature: {key: alice}}, {status: scan, equals: clean, signedBy: [release-signer]}]'))).toEqual([
      expect.stringMatching(/warning \[key-kind-mismatch\] signature gate of stage "prod" names "alice", an OpenSSH key: cosign signs with PEM keys/),
      expect.stringMatching(/warning \[key-kind-mismatch\] gate scan of stage "prod" trusts "release-signer", a PEM key: status records are signed with ssh-keygen/),
    ]);
    expect(report(topology(keys, '[{signature: {key: release-signer}}, {status: scan, equals: clean, signedBy: [alice]}]'))).toEqual([]);
  });
});
