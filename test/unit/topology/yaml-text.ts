/** Test helpers: readable inline YAML and one-line diagnostics to compare exactly. */
import { formatDiagnostic, parseTopology, type LoadTopologyOptions } from '../../../src/topology/index.js';

/** Strips the indentation of a template literal so snippets can sit indented in tests. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Every diagnostic as the CLI prints it, errors and warnings in file order. */
export function report(text: string, options: LoadTopologyOptions = {}): string[] {
  const r = parseTopology(text, 'registries.yaml', { environ: {}, ...options });
  return [...r.errors, ...r.warnings]
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .map((d) => formatDiagnostic('registries.yaml', d));
}
