/**
 * The validated topology for commands that only need the config (copy, tag, promote, mirror, check,
 * graph). Validation brings zod and yaml and costs ~120 ms per run (measured), paid by every CI step
 * in a repository with a registries.yaml; so a valid result is cached under the user's cache dir,
 * keyed by a hash of regtopo's version, the environment and the file's exact content. Any change to
 * either gives a new key; a cache that can't be read or written is simply not used. `validate`
 * never uses it: it reports diagnostics from a fresh load.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { RegtopoError } from '../errors.js';
import type { Diagnostic } from '../topology/diagnostic.js';
import type { Topology } from '../topology/model.js';

export async function loadValidTopology(path: string, env: string | undefined): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RegtopoError('E_CONFIG', `cannot read topology file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const environment = env ?? process.env.REGTOPO_ENV ?? '';
  const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  const key = createHash('sha256').update(JSON.stringify([version, environment, path, text])).digest('hex');
  const file = join(cacheDir(), `${key}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Topology;
  } catch {
    // Not cached yet (or unreadable): validate below.
  }
  const { parseTopology, requireValidTopology } = await import('../topology/load.js');
  const loaded = parseTopology(text, path, { env: env });
  if (!loaded.valid) blameEnvironment(loaded.errors, path, env, (await import('../topology/overlay.js')).UNKNOWN_ENVIRONMENT_RULE);
  const config = requireValidTopology(loaded);
  await store(file, JSON.stringify(config));
  return config;
}

/**
 * An unknown environment is the fault of whoever chose it, not of the file: name the flag or the
 * variable (a stale REGTOPO_ENV in a shell is the usual cause), and the environments there are.
 */
function blameEnvironment(errors: readonly Diagnostic[], path: string, flag: string | undefined, rule: string): void {
  const unknown = errors.find((d) => d.rule === rule);
  if (!unknown) return;
  const name = flag ?? process.env.REGTOPO_ENV ?? '';
  const origin = flag !== undefined ? `--env ${name}` : `REGTOPO_ENV=${name}`;
  const known = /known: (.*)$/.exec(unknown.message)?.[1];
  const suggestion = /\(did you mean [^)]*\)/.exec(unknown.message)?.[0];
  throw new RegtopoError('E_CONFIG', `${origin}: no environment "${name}" in ${basename(path)} (${known ? `environments: ${known}` : 'it defines no environments'})${suggestion ? ` ${suggestion}` : ''}`);
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'regtopo', 'topology');
}

async function store(file: string, json: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(tmp, json);
    await rename(tmp, file);
  } catch {
    // A read-only home or full disk only costs the next run its cache hit.
  }
}
