/**
 * YAML text → plain data plus the positions of every node. Syntax problems become diagnostics with
 * line:column (rule `yaml-syntax`) instead of exceptions, so one run reports everything it can.
 */
import { isAlias, LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import type { Diagnostic, Severity } from './diagnostic.js';
import { SourcePositions } from './positions.js';

export const YAML_SYNTAX_RULE = 'yaml-syntax';

export interface ParsedYaml {
  /** Undefined when the text did not parse; diagnostics then hold at least one error. */
  data: unknown;
  positions: SourcePositions;
  diagnostics: Diagnostic[];
}

export function parseYamlSource(text: string): ParsedYaml {
  const lines = new LineCounter();
  // prettyErrors off: positions come from the offsets, messages stay one line. Merge keys (<<) let
  // registries share settings through anchors.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  const positions = new SourcePositions(doc, lines);
  const diagnostics: Diagnostic[] = [
    ...doc.errors.map((e) => fromYamlError(e, 'error', positions)),
    ...doc.warnings.map((e) => fromYamlError(e, 'warning', positions)),
  ];

  // An alias to an anchor that does not exist parses fine and only fails on conversion.
  visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.resolve(doc) === undefined) {
        const at = positions.fromOffset(node.range?.[0] ?? 0);
        diagnostics.push({ rule: YAML_SYNTAX_RULE, severity: 'error', message: `unknown alias *${node.source}`, ...at });
      }
    },
  });

  if (diagnostics.some((d) => d.severity === 'error')) return { data: undefined, positions, diagnostics };
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }), positions, diagnostics };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    diagnostics.push({ rule: YAML_SYNTAX_RULE, severity: 'error', message, line: 1, column: 1 });
    return { data: undefined, positions, diagnostics };
  }
}

function fromYamlError(e: YAMLError, severity: Severity, positions: SourcePositions): Diagnostic {
  // Lower-case the first word to match the other diagnostics, but leave acronyms ("YAML") alone.
  const message = /^[A-Z][a-z]/.test(e.message) ? e.message.charAt(0).toLowerCase() + e.message.slice(1) : e.message;
  return { rule: YAML_SYNTAX_RULE, severity, message, ...positions.fromOffset(e.pos[0]) };
}
