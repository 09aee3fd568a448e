/**
 * Trust declared in the topology: inline keys must be keys, names that stand for keys (gate
 * signedBy, signature gates) must exist, and a manual approver without a key is flagged, because
 * their approval is only a name anyone who can write the source repository could type.
 */
import { parsePublicKey } from '../../signing/public-key.js';
import { didYouMean } from '../suggest.js';
import type { RuleFinding, TopologyRule } from './rule.js';

export const invalidKey: TopologyRule = {
  name: 'invalid-key',
  severity: 'error',
  description: 'an inline key is an OpenSSH public key line (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa) or a PEM public key (ECDSA P-256, Ed25519, RSA)',
  check({ config }) {
    const findings: RuleFinding[] = [];
    for (const spec of Object.values(config.keys ?? {})) {
      if (spec.key === undefined) continue;
      try {
        parsePublicKey(spec.key);
      } catch (err) {
        findings.push({ path: ['keys', spec.name], message: `key "${spec.name}": ${(err as Error).message}` });
      }
    }
    return findings;
  },
};

export const unknownKey: TopologyRule = {
  name: 'unknown-signing-key',
  severity: 'error',
  description: 'a gate signedBy and a signature gate name keys declared under keys:',
  check({ config, file }) {
    const findings: RuleFinding[] = [];
    const known = Object.keys(config.keys ?? {});
    const unknown = (name: string) => `which keys: does not declare${didYouMean(name, known, ` (known: ${known.join(', ') || 'none'})`)}`;
    // Paths index the gates list as written: status and signature gates share it.
    (file.promotion?.stages ?? []).forEach((stage, i) => {
      (stage.gates ?? []).forEach((gate, g) => {
        (gate.signedBy ?? []).forEach((name, k) => {
          if (!known.includes(name)) {
            findings.push({ path: ['promotion', 'stages', i, 'gates', g, 'signedBy', k], message: `gate ${gate.status} of stage "${stage.name}" trusts key "${name}", ${unknown(name)}` });
          }
        });
        const key = gate.signature?.key;
        if (key !== undefined && !known.includes(key)) {
          findings.push({ path: ['promotion', 'stages', i, 'gates', g, 'signature', 'key'], message: `signature gate of stage "${stage.name}" wants a signature by key "${key}", ${unknown(key)}` });
        }
      });
    });
    return findings;
  },
};

/**
 * Approvals and statuses are SSH signatures (ssh-keygen -Y sign) and image signatures are cosign's,
 * made with PEM keys: a name used for the other kind can never verify, which would leave a gate or an
 * approver silently unsatisfiable. Only inline keys are known at parse time.
 */
export const keyKindMismatch: TopologyRule = {
  name: 'key-kind-mismatch',
  severity: 'warning',
  description: 'signature gates name PEM (cosign) keys; approvers and signedBy name OpenSSH keys',
  check({ config, file }) {
    const findings: RuleFinding[] = [];
    const kindOf = (name: string): 'pem' | 'ssh' | undefined => {
      const text = config.keys?.[name]?.key;
      if (text === undefined) return undefined;
      try {
        return parsePublicKey(text).algorithm.match(/^(ssh-|ecdsa-sha2-)/) ? 'ssh' : 'pem';
      } catch {
        return undefined; // invalid-key reports it
      }
    };
    (file.promotion?.stages ?? []).forEach((stage, i) => {
      (stage.gates ?? []).forEach((gate, g) => {
        const key = gate.signature?.key;
        if (key !== undefined && kindOf(key) === 'ssh') {
          findings.push({ path: ['promotion', 'stages', i, 'gates', g, 'signature', 'key'], message: `signature gate of stage "${stage.name}" names "${key}", an OpenSSH key: cosign signs with PEM keys (cosign.pub), so no cosign signature can verify with it` });
        }
        (gate.signedBy ?? []).forEach((name, k) => {
          if (kindOf(name) === 'pem') findings.push({ path: ['promotion', 'stages', i, 'gates', g, 'signedBy', k], message: `gate ${gate.status} of stage "${stage.name}" trusts "${name}", a PEM key: status records are signed with ssh-keygen, so only OpenSSH keys can sign them` });
        });
      });
      const approval = stage.approval;
      if (approval?.type === 'manual') {
        (approval.approvers ?? []).forEach((name, a) => {
          if (kindOf(name) === 'pem') findings.push({ path: ['promotion', 'stages', i, 'approval', 'approvers', a], message: `approver "${name}" of stage "${stage.name}" has a PEM key: approvals are signed with ssh-keygen, so only OpenSSH keys can sign them` });
        });
      }
    });
    return findings;
  },
};

export const unauthenticatedApproval: TopologyRule = {
  name: 'unauthenticated-approval',
  severity: 'warning',
  description: 'manual approvers have keys, so an approval is a signature rather than a name',
  check({ config }) {
    const findings: RuleFinding[] = [];
    const keys = config.keys ?? {};
    config.promotion.stages.forEach((stage, i) => {
      const approval = stage.approval;
      if (approval?.type !== 'manual') return;
      if (!approval.approvers?.length) {
        findings.push({ path: ['promotion', 'stages', i, 'approval'], message: `stage "${stage.name}" lists no approvers: anyone who can write its source repository can approve` });
        return;
      }
      approval.approvers.forEach((name, a) => {
        if (!keys[name]) {
          findings.push({ path: ['promotion', 'stages', i, 'approval', 'approvers', a], message: `approver "${name}" of stage "${stage.name}" has no key in keys:, so an approval in that name is not authenticated` });
        }
      });
    });
    return findings;
  },
};
