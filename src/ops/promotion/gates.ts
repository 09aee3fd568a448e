/**
 * Gates: the AND of required statuses, each an equality or a set of allowed values, evaluated on
 * the current statuses of one exact digest. The evidence is the status records that satisfied them.
 */
import type { PromotionGate } from '../../topology/schema-flows.js';
import type { StatusEntry } from './statuses.js';

export interface GateResult {
  status: string;
  equals?: string;
  in?: string[];
  satisfied: boolean;
  /** The current value, absent when the status was never recorded. */
  value?: string;
  /** The status record the value comes from (present whenever a value is). */
  evidence?: string;
  by?: string;
  at?: string;
  /** Human summary: "tests=passed", "scan missing", "scan=dirty (wants clean|accepted)". */
  reason: string;
}

export interface GateEvaluation {
  passed: boolean;
  results: GateResult[];
  /** Record digests of the statuses that satisfied gates, sorted. */
  evidence: string[];
}

export function evaluateGates(gates: readonly PromotionGate[], current: readonly StatusEntry[]): GateEvaluation {
  const byName = new Map(current.map((s) => [s.name, s]));
  const results = gates.map((gate): GateResult => {
    const allowed = gate.equals !== undefined ? [gate.equals] : gate.in ?? [];
    const want = allowed.join('|');
    const base = { status: gate.status, ...(gate.equals !== undefined ? { equals: gate.equals } : { in: [...allowed] }) };
    const found = byName.get(gate.status);
    if (!found) return { ...base, satisfied: false, reason: `${gate.status} missing (wants ${want})` };
    const satisfied = allowed.includes(found.value);
    return {
      ...base, satisfied, value: found.value, evidence: found.record, by: found.by, at: found.at,
      reason: satisfied ? `${gate.status}=${found.value}` : `${gate.status}=${found.value} (wants ${want})`,
    };
  });
  const evidence = results.filter((r) => r.satisfied && r.evidence).map((r) => r.evidence!).sort();
  return { passed: results.every((r) => r.satisfied), results, evidence };
}

/** One line naming every unsatisfied gate, for errors. */
export function describeFailedGates(results: readonly GateResult[]): string {
  return results.filter((r) => !r.satisfied).map((r) => r.reason).join(', ');
}
