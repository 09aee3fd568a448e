/**
 * What validation reports: one finding with the rule that produced it and where in the file it
 * points. Every layer (YAML syntax, schema, environment overlay, cross-field rules) speaks this one
 * shape so the CLI and tests format them identically.
 */

export type Severity = 'error' | 'warning';

/** A path into the topology document, as YAML keys and sequence indexes. */
export type NodePath = readonly (string | number)[];

export interface Diagnostic {
  rule: string;
  severity: Severity;
  message: string;
  /** 1-based, as editors show them. */
  line: number;
  column: number;
}

/** `registries.yaml:12:5: error [rule-name] message`, the shape compilers use so editors can jump. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity} [${d.rule}] ${d.message}`;
}

/** File order, so a report reads top to bottom; the rule name keeps ties deterministic. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message));
}

/** `registries.prod.replicas[0]`, for messages that must name a location in words. */
export function formatPath(path: NodePath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
