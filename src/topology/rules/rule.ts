/**
 * The shape of a cross-field rule and the runner that places its findings in the file. Rules see
 * the resolved topology (defaults and environment applied) plus the file as written, and return
 * paths, never positions: the runner owns the mapping back to line:column.
 */
import type { Diagnostic, NodePath, Severity } from '../diagnostic.js';
import type { Topology } from '../model.js';
import type { SourcePositions } from '../positions.js';
import type { TopologyFile } from '../schema.js';

export interface RuleInput {
  config: Topology;
  /** As written: for references whose position only the original lists know (replicas[2]). */
  file: TopologyFile;
}

export interface RuleFinding {
  path: NodePath;
  message: string;
  /** Point at the key rather than the value (for findings about an entry as a whole). */
  at?: 'key' | 'value';
}

export interface TopologyRule {
  name: string;
  severity: Severity;
  /** One line for docs and `--help`-style listings. */
  description: string;
  check(input: RuleInput): RuleFinding[];
}

export function runRules(rules: readonly TopologyRule[], input: RuleInput, positions: SourcePositions): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    for (const finding of rule.check(input)) {
      const where = finding.at === 'key' ? positions.keyAt(finding.path) : positions.at(finding.path);
      out.push({ rule: rule.name, severity: rule.severity, message: finding.message, ...where });
    }
  }
  return out;
}
