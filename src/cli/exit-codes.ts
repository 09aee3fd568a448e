/**
 * The only mapping from error codes to process exit codes (documented in the README). Scripts branch
 * on these numbers, so they never change meaning once released.
 */
import type { ErrorCode } from '../errors.js';
import type { CommandOutcome } from './output.js';

export const ExitCode = {
  Ok: 0,
  Failed: 1, // the operation failed (registry error, partial failure)
  Usage: 2, // bad flags, reference, credentials config or topology file
  Policy: 3, // the topology forbids this write
  NotFound: 4,
  Auth: 5, // credentials missing, refused, or not allowed
  Integrity: 6, // digest or size mismatch: content refused
  Network: 7, // unreachable, TLS, dropped connections after retries
  RateLimited: 8,
  Findings: 9, // audit commands (check) found problems
  GateFailed: 10, // promotion gate not satisfied
  ApprovalPending: 11,
  ApprovalRejected: 12,
  RateReserve: 13, // mirror stopped cleanly before crossing the rate-limit reserve
  Locked: 14, // another run holds the lock
  ReplicationIncomplete: 15, // promoted, replication incomplete: rerun regtopo replicate
  Interrupted: 130, // SIGINT/SIGTERM (128 + SIGINT, as shells report it)
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  E_USAGE: ExitCode.Usage,
  E_REF_INVALID: ExitCode.Usage,
  E_CONFIG: ExitCode.Usage,
  E_TOPOLOGY_INVALID: ExitCode.Usage,
  E_POLICY: ExitCode.Policy,
  E_NOT_FOUND: ExitCode.NotFound,
  E_UNAUTHORIZED: ExitCode.Auth,
  E_DENIED: ExitCode.Auth,
  E_DIGEST_MISMATCH: ExitCode.Integrity,
  E_SIZE_MISMATCH: ExitCode.Integrity,
  E_MANIFEST_UNSUPPORTED: ExitCode.Failed,
  E_MANIFEST_TOO_LARGE: ExitCode.Integrity,
  // Malformed content is the content's fault, not the command line's: never exit 2 for it.
  E_MANIFEST_INVALID: ExitCode.Integrity,
  E_CONTENT_INVALID: ExitCode.Integrity,
  E_TLS: ExitCode.Network,
  E_NETWORK: ExitCode.Network,
  E_RATE_LIMITED: ExitCode.RateLimited,
  E_GATE_FAILED: ExitCode.GateFailed,
  E_APPROVAL_PENDING: ExitCode.ApprovalPending,
  E_APPROVAL_REJECTED: ExitCode.ApprovalRejected,
  E_RATE_RESERVE: ExitCode.RateReserve,
  E_LOCKED: ExitCode.Locked,
  E_PARTIAL: ExitCode.Failed,
  E_CONFLICT: ExitCode.Policy,
  E_INTERRUPTED: ExitCode.Interrupted,
  E_REPLICATION_INCOMPLETE: ExitCode.ReplicationIncomplete,
};

export function exitCodeFor(code: ErrorCode | undefined): number {
  return (code && BY_CODE[code]) ?? ExitCode.Failed;
}

/** The exit code of a command that returned (did not throw): see CommandOutcome. */
export function exitCodeOf(outcome: CommandOutcome | undefined): number {
  if (!outcome || outcome.kind === 'ok') return ExitCode.Ok;
  if (outcome.kind === 'findings') return ExitCode.Findings;
  return exitCodeFor(outcome.code);
}

/** What each exit code means, for `regtopo help exit-codes` and the README's table (kept equal by a test). */
export const EXIT_CODE_MEANINGS: ReadonlyArray<{ code: number; name: keyof typeof ExitCode; meaning: string }> = [
  { code: ExitCode.Ok, name: 'Ok', meaning: 'success (and for check: no findings)' },
  { code: ExitCode.Failed, name: 'Failed', meaning: 'the operation failed: a registry error, an unsupported manifest (Docker schema 1), or some items of a multi-item run' },
  { code: ExitCode.Usage, name: 'Usage', meaning: 'bad flags, reference, credentials config or topology file' },
  { code: ExitCode.Policy, name: 'Policy', meaning: 'the topology forbids this write, or another writer won a tag (conflict)' },
  { code: ExitCode.NotFound, name: 'NotFound', meaning: 'manifest, blob, tag or repository not found' },
  { code: ExitCode.Auth, name: 'Auth', meaning: 'credentials missing, refused, or not allowed' },
  { code: ExitCode.Integrity, name: 'Integrity', meaning: 'content refused: a malformed or self-contradictory manifest, index or descriptor, or a digest or size mismatch; nothing was committed' },
  { code: ExitCode.Network, name: 'Network', meaning: 'unreachable, TLS failure, dropped connections after retries' },
  { code: ExitCode.RateLimited, name: 'RateLimited', meaning: 'rate limited (HTTP 429) after backing off' },
  { code: ExitCode.Findings, name: 'Findings', meaning: 'check found problems' },
  { code: ExitCode.GateFailed, name: 'GateFailed', meaning: 'a promotion gate is not satisfied' },
  { code: ExitCode.ApprovalPending, name: 'ApprovalPending', meaning: 'the promotion waits for an approval' },
  { code: ExitCode.ApprovalRejected, name: 'ApprovalRejected', meaning: 'the promotion was rejected' },
  { code: ExitCode.RateReserve, name: 'RateReserve', meaning: 'mirror stopped before crossing the rate-limit reserve' },
  { code: ExitCode.Locked, name: 'Locked', meaning: 'another run holds the lock' },
  { code: ExitCode.ReplicationIncomplete, name: 'ReplicationIncomplete', meaning: 'promoted, replication incomplete: rerun regtopo replicate' },
  { code: ExitCode.Interrupted, name: 'Interrupted', meaning: 'interrupted (Ctrl-C, SIGTERM)' },
];
