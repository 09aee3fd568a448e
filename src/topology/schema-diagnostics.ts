/**
 * Runs the zod schema and turns its issues into diagnostics at the right line:column, with messages
 * written for people editing YAML ("missing required key", "did you mean"), not for TypeScript.
 */
import * as z from 'zod';
import type { Diagnostic, NodePath } from './diagnostic.js';
import type { SourcePositions } from './positions.js';
import { INLINE_SECRET_MESSAGE, INLINE_SECRET_RULE } from './schema-fields.js';
import { topologySchema, type TopologyFile } from './schema.js';
import { didYouMean } from './suggest.js';

export const SCHEMA_RULE = 'schema';
export const UNKNOWN_KEY_RULE = 'unknown-key';

export interface SchemaCheck {
  file: TopologyFile | undefined;
  diagnostics: Diagnostic[];
}

export function checkSchema(data: unknown, positions: SourcePositions): SchemaCheck {
  // The object schemas are only reachable while zod reports, so their keys are noted then.
  const allowedKeys = new Map<string, string[]>();
  const result = topologySchema.safeParse(data, {
    // One parse per process: zod's generated object parsers (new Function, never in the code cache)
    // cost more to compile than they save; 1.8 against 4.8 ms measured for a small topology.
    jitless: true,
    error: (iss) => {
      if (iss.code === 'unrecognized_keys' && iss.inst) allowedKeys.set(pathKey(iss.path ?? []), writableKeys(iss.inst));
      return messageFor(iss);
    },
  });
  if (result.success) return { file: result.data, diagnostics: [] };

  const diagnostics: Diagnostic[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path as NodePath;
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys.get(pathKey(path)) ?? [];
      for (const key of issue.keys) {
        const hint = didYouMean(key, allowed, allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '');
        diagnostics.push({ rule: UNKNOWN_KEY_RULE, severity: 'error', message: `unknown key "${key}"${hint}`, ...positions.keyAt([...path, key]) });
      }
      continue;
    }
    // A secret-named key (password:) fails as `never`; userinfo in a URL arrives as a custom issue.
    const secretKey = issue.code === 'invalid_type' && issue.message === INLINE_SECRET_MESSAGE;
    const rule = secretKey ? INLINE_SECRET_RULE : (customRule(issue) ?? SCHEMA_RULE);
    // A forbidden key or a bad name is about the key itself; anything else, the value.
    const atKey = secretKey || issue.code === 'invalid_key';
    const at = atKey ? positions.keyAt(path) : positions.at(path);
    diagnostics.push({ rule, severity: 'error', message: issue.message, ...at });
  }
  return { file: undefined, diagnostics };
}

function messageFor(iss: z.core.$ZodRawIssue): string | undefined {
  const last = iss.path?.at(-1);
  switch (iss.code) {
    case 'invalid_type':
      if ((iss.path ?? []).length === 0 && (iss.input === null || iss.input === undefined)) return 'the file is empty: expected a mapping starting with "version: 1"';
      if (iss.input === undefined) return typeof last === 'string' ? `missing required key "${last}"` : `missing value`;
      return `expected ${describeType(iss.expected)}, got ${describeValue(iss.input)}`;
    case 'invalid_value': {
      const values = iss.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      if (iss.input === undefined && typeof last === 'string') return `missing required key "${last}"`;
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      const hint = typeof iss.input === 'string' ? didYouMean(iss.input, values) : '';
      return `expected ${expected}, got ${describeValue(iss.input)}${hint}`;
    }
    case 'invalid_union': {
      if (!('discriminator' in iss) || !Array.isArray(iss.options)) return undefined;
      // The issue carries the whole object; the discriminator's own value is what was wrong.
      const options = iss.options.map(String);
      const value = isRecord(iss.input) ? iss.input[String(iss.discriminator)] : undefined;
      if (value === undefined) return `missing required key "${String(iss.discriminator)}" (one of ${options.join(', ')})`;
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      return `expected one of ${options.join(', ')}, got ${describeValue(value)}${hint}`;
    }
    case 'invalid_key': {
      const inner = iss.issues[0]?.message ?? 'invalid';
      return `invalid name ${describeValue(iss.input)}: ${inner}`;
    }
    case 'too_small':
      if (Number(iss.minimum) === 1 && (iss.origin === 'array' || iss.origin === 'string')) return 'must not be empty';
      return `must be ${iss.inclusive === false ? 'greater than' : 'at least'} ${String(iss.minimum)}`;
    case 'too_big':
      return `must be ${iss.inclusive === false ? 'less than' : 'at most'} ${String(iss.maximum)}`;
    default:
      return undefined;
  }
}

function customRule(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'custom') return undefined;
  const rule = (issue.params as { rule?: unknown } | undefined)?.rule;
  return typeof rule === 'string' ? rule : undefined;
}

/** Keys a person may write at this object: the forbidden secret keys are declared but not offered. */
function writableKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, z.ZodType> } } })._zod?.def?.shape;
  if (!shape) return [];
  return Object.keys(shape).filter((key) => !isForbidden(shape[key]!));
}

function isForbidden(schema: z.ZodType): boolean {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType };
  if (def.type === 'never') return true;
  return def.type === 'optional' && def.innerType !== undefined && isForbidden(def.innerType);
}

function describeType(expected: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false' };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}
