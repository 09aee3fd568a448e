/**
 * Loading registries.yaml: the one place topology code touches the file system. Everything after the
 * read is pure: YAML with positions → schema → defaults → environment overlay → rules. Invalid
 * content is a result, not an exception; only an unreadable file throws (E_CONFIG).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RegtopoError } from '../errors.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostic.js';
import type { Topology } from './model.js';
import { normaliseTopology, resolveTopologyPaths } from './normalise.js';
import { applyEnvironment } from './overlay.js';
import { runRules, TOPOLOGY_RULES, type TopologyRule } from './rules/index.js';
import { checkSchema } from './schema-diagnostics.js';
import { parseYamlSource } from './yaml-source.js';
import { resolveKey } from '../signing/trusted-keys.js';
import { readTrustedRoot } from '../signing/trusted-root.js';

export { DEFAULT_TOPOLOGY_FILE, locateTopologyFile } from './locate.js';

export type TopologySource = { path: string } | { text: string; name?: string };

export interface LoadTopologyOptions {
  /** Environment overlay; defaults to $REGTOPO_ENV. */
  env?: string;
  /** Where $REGTOPO_ENV is read from (tests pass their own). */
  environ?: Record<string, string | undefined>;
  rules?: readonly TopologyRule[];
}

export type TopologyLoadResult =
  | { valid: true; file: string; config: Topology; errors: []; warnings: Diagnostic[] }
  | { valid: false; file: string; config: undefined; errors: Diagnostic[]; warnings: Diagnostic[] };

export async function loadTopology(source: TopologySource, options: LoadTopologyOptions = {}): Promise<TopologyLoadResult> {
  if ('text' in source) return parseTopology(source.text, source.name ?? '<input>', options);
  let text: string;
  try {
    text = await readFile(source.path, 'utf8');
  } catch (err) {
    throw new RegtopoError('E_CONFIG', `cannot read topology file ${source.path}: ${readFailure(err)}`, { cause: err });
  }
  const parsed = parseTopology(text, source.path, options);
  return parsed.valid ? withKeyFileChecks(parsed, text) : parsed;
}

/**
 * Key files and trusted roots are read here, the loader's one I/O step, so `validate` reports an
 * unreadable or malformed one at its line. Commands read them again when they verify (resolveKeys,
 * the signature gates), so a cached topology never hides a changed file.
 */
function withKeyFileChecks(loaded: Extract<TopologyLoadResult, { valid: true }>, text: string): TopologyLoadResult {
  const specs = Object.values(loaded.config.keys ?? {}).filter((k) => k.file !== undefined);
  const roots = loaded.config.promotion.stages.flatMap((stage, i) => (stage.signatureGates ?? []).flatMap((g) => (g.kind === 'keyless' ? [{ i, g }] : [])));
  if (specs.length === 0 && roots.length === 0) return loaded;
  const positions = parseYamlSource(text).positions;
  const diagnostics: Diagnostic[] = [...loaded.warnings];
  for (const spec of specs) {
    try {
      resolveKey(spec);
    } catch (err) {
      diagnostics.push({ rule: 'invalid-key', severity: 'error', message: (err as Error).message, ...positions.at(['keys', spec.name, 'file']) });
    }
  }
  for (const { i, g } of roots) {
    try {
      readTrustedRoot(g.trustedRoot, `trustedRoot ${g.trustedRootAsWritten}`);
    } catch (err) {
      diagnostics.push({ rule: 'invalid-trusted-root', severity: 'error', message: (err as Error).message, ...positions.at(['promotion', 'stages', i, 'gates', g.at, 'signature', 'trustedRoot']) });
    }
  }
  return result(loaded.file, loaded.config, diagnostics);
}

/** The pure pipeline; `file` is only used to label diagnostics. */
export function parseTopology(text: string, file: string, options: LoadTopologyOptions = {}): TopologyLoadResult {
  const env = options.env || (options.environ ?? process.env).REGTOPO_ENV || undefined;
  const yaml = parseYamlSource(text);
  const diagnostics = [...yaml.diagnostics];
  if (yaml.data === undefined) return result(file, undefined, diagnostics);

  const schema = checkSchema(yaml.data, yaml.positions);
  diagnostics.push(...schema.diagnostics);
  if (!schema.file) return result(file, undefined, diagnostics);

  const overlay = applyEnvironment(normaliseTopology(schema.file), env, yaml.positions);
  diagnostics.push(...overlay.diagnostics);
  diagnostics.push(...runRules(options.rules ?? TOPOLOGY_RULES, { config: overlay.config, file: schema.file }, yaml.positions));
  resolveKeyPaths(overlay.config, file);
  return result(file, overlay.config, diagnostics);
}


/** The config of a valid result; otherwise E_TOPOLOGY_INVALID quoting the first error. */
export function requireValidTopology(loaded: TopologyLoadResult): Topology {
  if (loaded.valid) return loaded.config;
  const [first] = loaded.errors;
  const count = loaded.errors.length === 1 ? '1 error' : `${loaded.errors.length} errors`;
  const detail = first ? `: ${formatDiagnostic(loaded.file, first)}` : '';
  throw new RegtopoError('E_TOPOLOGY_INVALID', `topology file ${loaded.file} is invalid (${count}; run regtopo validate)${detail}`);
}

function result(file: string, config: Topology | undefined, diagnostics: Diagnostic[]): TopologyLoadResult {
  const sorted = sortDiagnostics(diagnostics);
  const errors = sorted.filter((d) => d.severity === 'error');
  const warnings = sorted.filter((d) => d.severity === 'warning');
  if (config && errors.length === 0) return { valid: true, file, config, errors: [], warnings };
  return { valid: false, file, config: undefined, errors, warnings };
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}

/** `keys: { x: { file: keys/x.pub } }` and trusted roots are relative to the topology file (a path join, no I/O). */
function resolveKeyPaths(config: Topology, file: string): void {
  resolveTopologyPaths(config, file.startsWith('<') ? process.cwd() : dirname(resolve(file)));
}
