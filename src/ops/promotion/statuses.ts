/**
 * Statuses: the build-data record (`unit-tests=passed`, `security-scan=waived`) kept next to the
 * image digest as one record each. Setting resolves the reference once; the newest record per name
 * is the current value, and every older one stays readable as history.
 */
import { RegtopoError } from '../../errors.js';
import type { Reference } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryRepository } from '../../registry/registry-repository.js';
import { signWithSshKeygen } from '../../signing/ssh-keygen-signer.js';
import { checkSignature, type TrustedKey } from '../../signing/trusted-keys.js';
import { actor, authorizeStatusWrite, clockSkewOf, nowOf, parseRef, resolveDescriptor, trustedKeys, withClient, type PromotionContext, type PromotionOptions } from './context.js';
import { invalidRecordWarning, listRecords, writeRecord, type InvalidRecord, type StoredRecord } from './records.js';
import { STATUS_NAMESPACE, statusMessage } from './signed-message.js';
import { currentOf, currentStatuses as resolveCurrent, type CurrentStatus } from './status-evidence.js';
import { didYouMean } from '../../topology/suggest.js';

/** The JSON body of a status record. */
export interface StatusBody {
  kind: 'status';
  subject: string;
  name: string;
  value: string;
  detail?: string;
  url?: string;
  /** Informational: for signed records, who it is comes from the verifying key. */
  by: string;
  at: string;
  /** Records of this name that were current when this one was written: the order of writes. */
  supersedes?: string[];
  /** SSHSIG over statusMessage(...), namespace regtopo-status. */
  signature?: string;
}

export interface StatusEntry extends Omit<StatusBody, 'kind' | 'subject' | 'signature'> {
  /** Digest of the status record: what gates cite as evidence. */
  record: string;
  tag: string;
  /** Milliseconds, from the record tag (the writer's clock). */
  time?: number;
  /** Names of the topology keys whose signature over this record verifies. */
  signedBy?: string[];
  /** Present when the record carries a signature that no topology key verifies. */
  signatureProblem?: string;
}

export interface SetStatusOptions extends Omit<PromotionOptions, 'topology'> {
  /** When given, the write must be one its write authority allows (sandbox and ci only), and the default client is made from it. */
  topology?: PromotionContext['topology'];
  detail?: string;
  url?: string;
  /** Sign the record with this SSH key (private key, or .pub with an agent): `--key`. */
  keyFile?: string;
}

export interface SetStatusResult {
  ref: string;
  digest: string;
  status: StatusEntry;
  /** With a topology: the name is used by no gate (a typo like "Tests" for "tests" is the usual cause). */
  warnings?: string[];
}

const STATUS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export async function setStatus(ref: string | Reference, name: string, value: string, options: SetStatusOptions): Promise<SetStatusResult> {
  if (!STATUS_NAME.test(name)) throw new RegtopoError('E_USAGE', `invalid status name "${name}": letters, digits, "_", "." and "-"`);
  if (value.length === 0 || value.length > 200) throw new RegtopoError('E_USAGE', `status ${name}: value must be 1 to 200 characters`);
  const reference = parseRef(ref);
  authorizeStatusWrite(options.topology, reference);
  return withClient(options, (client) => writeStatus(client.repository(reference, { signal: options.signal }), reference, name, value, options));
}

async function writeStatus(repo: RegistryRepository, reference: Reference, name: string, value: string, options: SetStatusOptions): Promise<SetStatusResult> {
  // Resolved once: the record is about this digest even if the tag moves while we write.
  const subject = await resolveDescriptor(repo, reference.reference);
  const now = nowOf(options);
  // What is current now, as this writer sees it, is what this record replaces (status-evidence.ts).
  const earlier = (await statusesOf(repo, subject.digest)).history.filter((e) => e.name === name);
  const replaced = new Set(earlier.flatMap((e) => e.supersedes ?? []));
  const supersedes = earlier.filter((e) => !replaced.has(e.record)).map((e) => e.record).sort();
  const body: StatusBody = {
    kind: 'status', subject: subject.digest, name, value,
    ...(options.detail ? { detail: options.detail } : {}),
    ...(options.url ? { url: options.url } : {}),
    by: actor(options), at: new Date(now).toISOString(), supersedes,
  };
  let keys: Map<string, TrustedKey> | undefined;
  if (options.keyFile) {
    const signed = await signWithSshKeygen(statusMessage(body), { keyFile: options.keyFile, namespace: STATUS_NAMESPACE, env: options.env, signal: options.signal });
    body.signature = signed.signature;
    keys = options.topology ? trustedKeys(options.topology) : undefined;
    const named = keys ? [...keys.values()].filter((k) => k.blob.equals(signed.publicKey.blob)).map((k) => k.name) : [];
    if (named.length > 0) body.by = named[0]!;
  }
  const stored = await writeRecord(repo, subject, 'status', body, { name, value, now });
  const unused = unusedStatusWarning(options.topology, name);
  return { ref: reference.pinned(subject.digest).toString(), digest: subject.digest, status: entryOf(stored, keys), ...(unused ? { warnings: [unused] } : {}) };
}

export interface StatusesResult {
  ref: string;
  digest: string;
  /** Current record per name, sorted by name (see status-evidence.ts for what "current" means). */
  current: StatusEntry[];
  /** Names whose records contradict each other within the clock skew window. */
  contradictions: CurrentStatus[];
  /** Every record, oldest first. */
  history: StatusEntry[];
  warnings: string[];
}

export interface GetStatusesOptions extends Pick<PromotionContext, 'now' | 'env' | 'signal'> {
  /** Shared client; default: one from the topology (or a plain one), closed when the call ends. */
  client?: RegistryClient;
  /** Gives signatures their key names and the clock-skew window; default: no keys, 5 minutes. */
  topology?: PromotionContext['topology'];
}

export async function getStatuses(ref: string | Reference, options: GetStatusesOptions = {}): Promise<StatusesResult> {
  const reference = parseRef(ref);
  return withClient(options, (client) => readStatuses(client.repository(reference, { signal: options.signal }), reference, options));
}

async function readStatuses(repo: RegistryRepository, reference: Reference, options: GetStatusesOptions): Promise<StatusesResult> {
  const subject = await resolveDescriptor(repo, reference.reference);
  const keys = options.topology ? trustedKeys(options.topology) : undefined;
  const { history, warnings } = await statusesOf(repo, subject.digest, undefined, keys);
  const view = resolveCurrent(history, { now: nowOf(options), skewMs: clockSkewOf(options.topology) });
  return { ref: reference.pinned(subject.digest).toString(), digest: subject.digest, ...view, warnings: [...warnings, ...view.warnings], history };
}

/**
 * Statuses of `digest` in `repo`; pass `tags` when the tag list is already at hand, `keys` to check
 * signatures. `warnings` names the records left out as malformed (records.ts) or about another digest.
 */
export async function statusesOf(
  repo: RegistryRepository, digest: string, tags?: string[], keys?: Map<string, TrustedKey>, onInvalid?: (invalid: InvalidRecord) => void,
): Promise<{ history: StatusEntry[]; warnings: string[] }> {
  const warnings: string[] = [];
  const report = (invalid: InvalidRecord): void => {
    warnings.push(invalidRecordWarning(invalid));
    onInvalid?.(invalid);
  };
  const records = await listRecords<StatusBody>(repo, 'status', digest, tags, { onInvalid: report });
  const history: StatusEntry[] = [];
  for (const r of records) {
    if (r.body.subject === digest) history.push(entryOf(r, keys));
    else report({ kind: 'status', where: `${repo.description}${r.tag ? `:${r.tag}` : `@${r.digest}`}`, problem: `body names subject ${r.body.subject}, not ${digest}` });
  }
  return { history, warnings };
}

/** Current value of each name, for callers that have a history and no gate to apply. */
export function currentStatusesOf(history: StatusEntry[], now: number, skewMs: number): StatusEntry[] {
  return resolveCurrent(history, { now, skewMs }).current;
}

export { currentOf };

function entryOf(r: StoredRecord<StatusBody>, keys?: Map<string, TrustedKey>): StatusEntry {
  const b = r.body;
  // The body passed its schema (record-schemas.ts) when it was read: no coercion needed here.
  const entry: StatusEntry = {
    name: b.name, value: b.value, ...(b.detail ? { detail: b.detail } : {}), ...(b.url ? { url: b.url } : {}),
    by: b.by, at: b.at, record: r.digest, tag: r.tag, time: r.time, supersedes: b.supersedes ?? [],
  };
  if (b.signature !== undefined && keys) {
    const check = checkSignature(b.signature, STATUS_NAMESPACE, statusMessage({ ...b, supersedes: entry.supersedes }), keys);
    if (check.signers.length > 0) entry.signedBy = check.signers.map((k) => k.name).sort();
    else entry.signatureProblem = check.problem;
  }
  return entry;
}

/** A warning when the topology's gates never read status `name` (recorded anyway: gates may come later). */
function unusedStatusWarning(topology: PromotionContext['topology'] | undefined, name: string): string | undefined {
  if (!topology) return undefined;
  const used = new Set(topology.promotion.stages.flatMap((st) => st.gates.map((g) => g.status)));
  if (used.has(name)) return undefined;
  return `status "${name}" is not used by any gate of the topology${didYouMean(name, used)}`;
}
