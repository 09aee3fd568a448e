/**
 * SSHSIG verified in-process against signatures the real `ssh-keygen -Y sign` made, for every key
 * type regtopo accepts; anything tampered with (message, namespace, signature bytes, embedded key)
 * fails; and a signature regtopo's signer made passes `ssh-keygen -Y verify`.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/signing/public-key.js';
import { signWithSshKeygen } from '../../src/signing/ssh-keygen-signer.js';
import { parseSshSignature, verifySshSignature } from '../../src/signing/sshsig.js';
import { checkSignature, resolveKeys } from '../../src/signing/trusted-keys.js';
import { makeSshKey, sshKeygenSign, sshKeygenVerifies, type TestKeyType } from '../support/ssh-keys.js';

const NS = 'regtopo-approval';
const MESSAGE = Buffer.from('["regtopo-approval/v1","app","prod","sha256:abc","sha256:plan","approved","2026-12-01T10:00:00.000Z",null,null]');

describe.each<TestKeyType>(['ed25519', 'ecdsa', 'rsa'])('SSHSIG with a %s key', (type) => {
  const key = makeSshKey(type);
  const armored = sshKeygenSign(key, NS, MESSAGE);

  it('a signature made by ssh-keygen -Y sign verifies in-process, with the key it embeds', () => {
    const sig = parseSshSignature(armored);
    expect(sig.namespace).toBe(NS);
    expect(sig.publicKey.blob.equals(parsePublicKey(key.line).blob)).toBe(true);
    expect(verifySshSignature(sig, NS, MESSAGE)).toBe(true);
  });

  it('the fingerprint is the one ssh-keygen -l prints', () => {
    const printed = execFileSync('ssh-keygen', ['-l', '-f', key.publicFile]).toString().split(' ')[1];
    expect(parsePublicKey(key.line).fingerprint).toBe(printed);
  });

  it('a changed message, another namespace or a flipped signature byte fails', () => {
    const sig = parseSshSignature(armored);
    expect(verifySshSignature(sig, NS, Buffer.from(MESSAGE.toString().replace('approved', 'rejected')))).toBe(false);
    expect(verifySshSignature(sig, 'regtopo-status', MESSAGE)).toBe(false);
    const flipped = Buffer.from(sig.signatureBlob);
    flipped[flipped.length - 5]! ^= 0x01;
    expect(verifySshSignature({ ...sig, signatureBlob: flipped }, NS, MESSAGE)).toBe(false);
  });

  it('a signature whose embedded key was swapped for another key does not verify', () => {
    const other = parsePublicKey(makeSshKey(type).line);
    expect(verifySshSignature({ ...parseSshSignature(armored), publicKey: other }, NS, MESSAGE)).toBe(false);
  });
});

describe('SSHSIG parsing and attribution', () => {
  it('garbage, truncated or oversized armor is a format error, never a pass', () => {
    const key = makeSshKey();
    const armored = sshKeygenSign(key, NS, MESSAGE);
    expect(() => parseSshSignature('hello')).toThrow(/not an armored SSH signature/);
    const lines = armored.trim().split('\n');
    const truncated = [lines[0], lines[1], lines.at(-1)].join('\n');
    expect(() => parseSshSignature(truncated)).toThrow();
    expect(() => parseSshSignature(`${lines[0]}\n${'A'.repeat(20_000)}\n${lines.at(-1)}`)).toThrow(/too large/);
  });

  it('checkSignature names the topology key that made it, and nobody for an unlisted key', () => {
    const alice = makeSshKey('ed25519', 'alice@laptop');
    const mallory = makeSshKey('ed25519', 'mallory@laptop');
    const keys = resolveKeys({ alice: { name: 'alice', key: alice.line }, bob: { name: 'bob', key: makeSshKey('ecdsa').line } });
    expect(checkSignature(sshKeygenSign(alice, NS, MESSAGE), NS, MESSAGE, keys).signers.map((k) => k.name)).toEqual(['alice']);
    const unlisted = checkSignature(sshKeygenSign(mallory, NS, MESSAGE), NS, MESSAGE, keys);
    expect(unlisted.signers).toEqual([]);
    expect(unlisted.problem).toMatch(/not a key in the topology/);
    expect(checkSignature(sshKeygenSign(alice, NS, MESSAGE), NS, MESSAGE, keys, ['bob']).problem).toMatch(/not one of bob/);
    expect(checkSignature(undefined, NS, MESSAGE, keys).problem).toBe('unsigned');
  });

  it("regtopo's signer (ssh-keygen -Y sign on stdin) makes signatures ssh-keygen -Y verify accepts", async () => {
    const key = makeSshKey('ed25519');
    const signed = await signWithSshKeygen(MESSAGE, { keyFile: key.privateFile, namespace: NS });
    expect(sshKeygenVerifies(key, 'alice', NS, MESSAGE, signed.signature)).toBe(true);
    expect(sshKeygenVerifies(key, 'alice', NS, Buffer.concat([MESSAGE, Buffer.from(' ')]), signed.signature)).toBe(false);
  });

  it('a .pub key without an agent is refused with a clear message', async () => {
    const key = makeSshKey('ed25519');
    await expect(signWithSshKeygen(MESSAGE, { keyFile: key.publicFile, namespace: NS, env: { PATH: process.env.PATH } })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('ssh-agent') });
  });

  it('the agent signs when --key names the public key and SSH_AUTH_SOCK is set', async () => {
    const key = makeSshKey('ed25519');
    const agent = execFileSync('ssh-agent', ['-s']).toString();
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent)![1]!;
    const pid = /SSH_AGENT_PID=(\d+);/.exec(agent)![1]!;
    try {
      const env = { ...process.env, SSH_AUTH_SOCK: sock };
      execFileSync('ssh-add', ['-q', key.privateFile], { env, stdio: 'ignore' });
      const signed = await signWithSshKeygen(MESSAGE, { keyFile: key.publicFile, namespace: NS, env });
      expect(verifySshSignature(parseSshSignature(signed.signature), NS, MESSAGE)).toBe(true);
      expect(signed.publicKey.blob.equals(parsePublicKey(key.line).blob)).toBe(true);
    } finally {
      process.kill(Number(pid));
    }
  });

  it('public keys: short RSA, unknown types and mislabelled blobs are refused', () => {
    expect(() => parsePublicKey('ssh-dss AAAAB3NzaC1kc3MAAACBAP')).toThrow();
    const ed = makeSshKey('ed25519').line.split(' ');
    expect(() => parsePublicKey(`ecdsa-sha2-nistp256 ${ed[1]}`)).toThrow(/blob is ssh-ed25519/);
    const short = execFileSync('sh', ['-c', 'd=$(mktemp -d); ssh-keygen -q -t rsa -b 1024 -N "" -f $d/k && cat $d/k.pub']).toString();
    expect(() => parsePublicKey(short)).toThrow(/at least 2048/);
  });
});
