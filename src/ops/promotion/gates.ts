/**
 * Gates: the AND of required statuses, each an equality or a set of allowed values, evaluated on
 * the current statuses of one exact digest (status-evidence.ts decides what is current). A gate with
 * `signedBy` looks only at records signed by one of those keys, so a scanner or test system cannot be
 * impersonated by anyone else who can push. Contradictory evidence fails the gate. The evidence is
 * the status records that satisfied them. Signature gates (signature-gates.ts) need registry reads
 * and are evaluated there; their results join these in a plan as one GateResult list.
 */
import type { PromotionGate } from '../../topology/schema-promotion.js';
import { DEFAULT_CLOCK_SKEW_MS } from '../../topology/model.js';
import { currentOf, describeContradiction, futureWarning, type EvidenceOptions } from './status-evidence.js';
import type { SignatureGateResult } from './signature-gates.js';
import type { StatusEntry } from './statuses.js';

export type { SignatureGateResult } from './signature-gates.js';

/** A plan's gate results: status gates and signature gates (told apart by `signature`). */
export type GateResult = StatusGateResult | SignatureGateResult;

export function isSignatureGateResult(r: GateResult): r is SignatureGateResult {
  return 'signature' in r;
}

export interface StatusGateResult {
  status: string;
  equals?: string;
  in?: string[];
  signedBy?: string[];
  satisfied: boolean;
  /** The current value, absent when the status was never recorded. */
  value?: string;
  /** The status record the value comes from (present whenever a value is). */
  evidence?: string;
  by?: string;
  at?: string;
  /** Records of this status that disagree within the clock skew window: the gate fails closed. */
  contradictory?: boolean;
  /** Human summary: "tests=passed", "scan missing", "scan=dirty (wants clean|accepted)". */
  reason: string;
}

export interface GateEvaluation {
  passed: boolean;
  results: StatusGateResult[];
  /** Record digests of the statuses that satisfied gates, sorted. */
  evidence: string[];
  /** Records ignored (dated in the future, unsigned for a signedBy gate), one line each. */
  warnings: string[];
}

export function evaluateGates(gates: readonly PromotionGate[], history: readonly StatusEntry[], options: Partial<EvidenceOptions> = {}): GateEvaluation {
  const opts: EvidenceOptions = { now: options.now ?? Date.now(), skewMs: options.skewMs ?? DEFAULT_CLOCK_SKEW_MS };
  const warnings = new Set<string>();
  const results = gates.map((gate): StatusGateResult => {
    const allowed = gate.equals !== undefined ? [gate.equals] : gate.in ?? [];
    const want = allowed.join('|');
    const base = {
      status: gate.status, ...(gate.equals !== undefined ? { equals: gate.equals } : { in: [...allowed] }),
      ...(gate.signedBy ? { signedBy: [...gate.signedBy] } : {}),
    };
    const signers = gate.signedBy;
    const considered = signers ? history.filter((e) => e.signedBy?.some((k) => signers.includes(k))) : history;
    const unsignedCount = history.filter((e) => e.name === gate.status).length - considered.filter((e) => e.name === gate.status).length;
    if (signers && unsignedCount > 0) warnings.add(`gate ${gate.status}: ${unsignedCount} record(s) not signed by ${signers.join(' or ')} ignored`);
    const found = currentOf(gate.status, considered, opts);
    for (const f of found.future) warnings.add(futureWarning(f, opts));
    const signedNote = signers ? ` signed by ${signers.join(' or ')}` : '';
    if (found.contradiction) return { ...base, satisfied: false, contradictory: true, reason: describeContradiction(found, opts.skewMs) };
    const entry = found.entry;
    if (!entry) return { ...base, satisfied: false, reason: `${gate.status} missing${signedNote} (wants ${want})` };
    const satisfied = allowed.includes(entry.value);
    return {
      ...base, satisfied, value: entry.value, evidence: entry.record, by: entry.signedBy?.join('/') ?? entry.by, at: entry.at,
      reason: satisfied ? `${gate.status}=${entry.value}` : `${gate.status}=${entry.value} (wants ${want})`,
    };
  });
  const evidence = results.filter((r) => r.satisfied && r.evidence).map((r) => r.evidence!).sort();
  return { passed: results.every((r) => r.satisfied), results, evidence, warnings: [...warnings] };
}

/** One line naming every unsatisfied gate, for errors. */
export function describeFailedGates(results: readonly GateResult[]): string {
  return results.filter((r) => !r.satisfied).map((r) => r.reason).join(', ');
}

/**
 * The commands that supply missing evidence, for the gate-failure message: `run: regtopo status set
 * REF scan=clean` (with `--key` when the gate wants it signed), `run: cosign sign --key cosign.key
 * REF` for a signature gate. Status gates with a wrong value get none: whoever records it must
 * decide, not copy a command.
 */
export function missingEvidenceHints(results: readonly GateResult[], ref: string): string[] {
  return results.filter((r) => !r.satisfied).flatMap((r) => {
    if (isSignatureGateResult(r)) {
      return 'key' in r.signature
        ? [`run: cosign sign --key cosign.key ${ref} (with the private key of ${r.signature.key})`]
        : [`run: cosign sign ${ref} (keyless, as an identity from ${r.signature.identity.issuer} with subject matching ${r.signature.identity.subject}, stored as a Sigstore bundle referrer)`];
    }
    if (r.value !== undefined || r.contradictory) return [];
    return [`run: regtopo status set ${ref} ${r.status}=${r.equals ?? r.in?.[0] ?? 'VALUE'}${r.signedBy?.length ? ' --key KEY' : ''}`];
  });
}
