/**
 * Webhook header values in the topology name environment variables, so tokens stay out of the file:
 * either a bare variable name (`HOOK_TOKEN`, the whole value) or a template that adds fixed text
 * around variables (`Bearer ${HOOK_TOKEN}`), as most webhook auth schemes need. Pure: the caller
 * passes the environment.
 */
import { RegtopoError } from '../errors.js';

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Whether `spec` is a valid header value spec (for the schema): a variable name, or a template. */
export function isHeaderValueSpec(spec: string): boolean {
  if (VARIABLE.test(spec)) return true;
  // Every `$` must open a ${VAR} reference, there must be one, and nothing may break the header line.
  if (/[\r\n\0]/.test(spec)) return false;
  const rest = spec.replace(REFERENCE, '');
  return rest !== spec && !rest.includes('$');
}

/** The header value with its variables filled in; E_CONFIG naming the header when one is unset. */
export function expandHeaderValue(header: string, spec: string, env: NodeJS.ProcessEnv): string {
  const lookup = (variable: string): string => {
    const value = env[variable];
    if (value === undefined) throw new RegtopoError('E_CONFIG', `approval webhook header ${header}: environment variable ${variable} not set`);
    if (/[\r\n\0]/.test(value)) throw new RegtopoError('E_CONFIG', `approval webhook header ${header}: environment variable ${variable} holds a line break`);
    return value;
  };
  if (VARIABLE.test(spec)) return lookup(spec);
  return spec.replace(REFERENCE, (_m, variable: string) => lookup(variable));
}
