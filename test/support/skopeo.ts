/**
 * skopeo as an independent oracle: a second, widely used client that reads and copies registry
 * content, so a test can check regtopo against something other than our own seed code. Run with
 * execFile (no shell), arguments passed as a list.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SkopeoSideOptions {
  /** Default false: test registries are plain http or use a throwaway CA. */
  tlsVerify?: boolean;
  creds?: { username: string; password: string };
  /** A directory holding `*.crt` CA files (skopeo's --cert-dir), for verified TLS. */
  certDir?: string;
}

export interface SkopeoCopyOptions {
  /** Copy every image of an index, not just the current platform's. Default true. */
  all?: boolean;
  /** Refuse any change that would alter digests. Default true. */
  preserveDigests?: boolean;
  src?: SkopeoSideOptions;
  dest?: SkopeoSideOptions;
}

/** `host:port/repo:tag` or `docker://…`; other transports pass through untouched. */
function transportRef(ref: string): string {
  return /^[a-z-]+:\/\//.test(ref) || ref.startsWith('oci:') || ref.startsWith('dir:') ? ref : `docker://${ref}`;
}

function sideFlags(prefix: '' | 'src-' | 'dest-', o: SkopeoSideOptions = {}): string[] {
  const flags = [`--${prefix}tls-verify=${o.tlsVerify ?? false}`];
  if (o.creds) flags.push(`--${prefix}creds`, `${o.creds.username}:${o.creds.password}`);
  if (o.certDir) flags.push(`--${prefix}cert-dir`, o.certDir);
  return flags;
}

async function skopeo(args: string[]): Promise<Buffer> {
  try {
    const { stdout } = await run('skopeo', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8') ?? '';
    // Never echo --creds back: the argument list holds the password.
    const code = (err as { code?: unknown }).code;
    throw new Error(`skopeo ${args[0]} failed (exit ${String(code)}): ${stderr.trim()}`);
  }
}

/** The manifest exactly as the registry serves it (`skopeo inspect --raw`). */
export async function skopeoInspectRaw(ref: string, opts: SkopeoSideOptions = {}): Promise<Buffer> {
  return skopeo(['inspect', '--raw', ...sideFlags('', opts), transportRef(ref)]);
}

export async function skopeoCopy(src: string, dst: string, opts: SkopeoCopyOptions = {}): Promise<void> {
  const args = ['copy', '--quiet'];
  if (opts.all ?? true) args.push('--all');
  if (opts.preserveDigests ?? true) args.push('--preserve-digests');
  args.push(...sideFlags('src-', opts.src), ...sideFlags('dest-', opts.dest), transportRef(src), transportRef(dst));
  await skopeo(args);
}
