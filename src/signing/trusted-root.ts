/**
 * A keyless gate's trusted root (Sigstore `trusted_root.json`: the CA certificates, transparency-log
 * and timestamp keys bundles are verified against offline), read from the file the topology names.
 * Only its being a readable JSON document is checked here; what it holds is the verifier's business.
 */
import { readFileSync } from 'node:fs';
import { RegtopoError } from '../errors.js';

/** A trusted root is tens of KiB; a far larger file is a mistake. */
const MAX_TRUSTED_ROOT = 4 << 20;

/** The parsed file; E_CONFIG starting with `where` when it cannot be read or is not a JSON object. */
export function readTrustedRoot(path: string, where: string): unknown {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_TRUSTED_ROOT) throw new Error(`larger than ${MAX_TRUSTED_ROOT} bytes`);
    text = buf.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RegtopoError('E_CONFIG', `${where}: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new RegtopoError('E_CONFIG', `${where}: not JSON (expected a Sigstore trusted_root.json)`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RegtopoError('E_CONFIG', `${where}: not a JSON object (expected a Sigstore trusted_root.json)`);
  return doc;
}
