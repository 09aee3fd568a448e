/**
 * Automatic approval hooks. `command` runs a program through the shell with the plan as JSON on
 * stdin: exit 0 approves, anything else rejects with its output as the reason. `webhook` POSTs the
 * plan as JSON (headers from environment variables, so tokens stay out of the topology): a 2xx
 * answer `{"approved": true, "by": "..."}` approves, any other 2xx or 4xx answer rejects, and
 * network errors, timeouts and 5xx are retried a bounded number of times before failing.
 */
import { isRetryableStatus, RegtopoError } from '../../errors.js';
import { runWithTimeout } from '../../process/run-with-timeout.js';
import { BODY_LIMITS, readBounded } from '../../transport/bounded-body.js';
import { Agent, undiciRequest } from '../../transport/undici-parts.js';
import { DEFAULT_RETRY, withRetry } from '../../transport/retry.js';
import { expandHeaderValue } from '../../topology/header-template.js';
import type { ApprovalSpec } from '../../topology/schema-promotion.js';
import type { PromotionPlan } from './plan.js';

export interface HookDecision {
  approved: boolean;
  by: string;
  /** Output of the program, or the webhook's body / reason; capped. */
  output: string;
  exitCode?: number;
  status?: number;
  /** The hook ran out of time (a command's whole process group was killed). */
  timedOut?: boolean;
}

const DEFAULT_TIMEOUT_S = 60;
const DEFAULT_RETRIES = 2;
/** What of a hook's output is kept in its approval record (it is read up to BODY_LIMITS.hook). */
const RECORDED_OUTPUT = 4000;

export type CommandHook = Extract<ApprovalSpec, { type: 'command' }>;
export type WebhookHook = Extract<ApprovalSpec, { type: 'webhook' }>;

export async function runCommandHook(spec: CommandHook, plan: PromotionPlan, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<HookDecision> {
  const timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const by = `command:${spec.command}`;
  const r = await runWithTimeout(spec.command, {
    shell: true, timeoutMs, outputLimit: BODY_LIMITS.hook, input: `${JSON.stringify(plan)}\n`, signal, what: `approval command "${spec.command}"`,
    env: { ...env, REGTOPO_PLAN_HASH: plan.planHash, REGTOPO_IMAGE: plan.image, REGTOPO_STAGE: plan.stage, REGTOPO_DIGEST: plan.source.digest },
  });
  const output = `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`.trim().slice(0, RECORDED_OUTPUT);
  if (r.timedOut) return { approved: false, by, output: `${output}\n[timed out after ${timeoutMs / 1000} s]`.trim(), timedOut: true };
  const code = r.exitCode ?? -1;
  return { approved: r.exitCode === 0 && !r.truncated, by, output: output || (code === 0 ? '' : `exit ${r.exitCode ?? r.signal}`), exitCode: code };
}

export async function runWebhookHook(spec: WebhookHook, plan: PromotionPlan, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<HookDecision> {
  const timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const retries = spec.retries ?? DEFAULT_RETRIES;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  for (const [name, valueSpec] of Object.entries(spec.headers ?? {})) headers[name] = expandHeaderValue(name, valueSpec, env);
  const body = JSON.stringify(plan);
  const url = new URL(spec.url);
  const where = `approval webhook ${url.origin}`;
  // The transport's one retry loop, with the hook's own budget: network errors, timeouts and 5xx.
  const budget = { ...DEFAULT_RETRY, attempts: retries + 1 };
  let answered: { status: number; text: string };
  try {
    answered = await withRetry(budget, async () => {
      const deadline = AbortSignal.timeout(timeoutMs);
      try {
        // No redirects are followed (a 3xx is not an approval), and the body is read capped.
        const res = await undiciRequest.call(webhookAgent(), {
          origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers, body,
          signal: signal ? AbortSignal.any([deadline, signal]) : deadline, reset: true, // one call: no idle socket keeps the CLI alive
        });
        return { status: res.statusCode, text: (await readBounded(res.body, BODY_LIMITS.hook, where, { truncate: true })).toString('utf8') };
      } catch (err) {
        throw new HookUnanswered(deadline.aborted ? `timed out after ${timeoutMs / 1000} s` : String((err as Error).message ?? err));
      }
    }, {
      signal,
      retryValue: (r) => (isRetryableStatus(r.status) ? { reason: `HTTP ${r.status}`, release: async () => {} } : undefined),
    });
  } catch (err) {
    if (err instanceof HookUnanswered) throw new RegtopoError('E_NETWORK', `${where}: no answer after ${retries + 1} attempts (${err.message})`);
    throw err;
  }
  if (isRetryableStatus(answered.status)) throw new RegtopoError('E_NETWORK', `${where}: no answer after ${retries + 1} attempts (HTTP ${answered.status})`);
  const { status, text } = answered;
  let answer: { approved?: unknown; by?: unknown; reason?: unknown } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch { /* not JSON: a rejection with the text as reason */ }
  const by = typeof answer.by === 'string' && answer.by ? answer.by.slice(0, 200) : `webhook:${url.host}`;
  const approved = status >= 200 && status < 300 && answer.approved === true;
  const output = (typeof answer.reason === 'string' ? answer.reason : text).slice(0, RECORDED_OUTPUT);
  return { approved, by, output, status };
}

/** A webhook call that got no HTTP answer (refused, reset, timed out): worth another try. */
class HookUnanswered extends Error {
  readonly retryable = true;
}

let agent: InstanceType<typeof Agent> | undefined;
/** One small pool for hook calls, kept apart from the registry client's (hooks are other hosts). */
function webhookAgent(): InstanceType<typeof Agent> {
  agent ??= new Agent({ connections: 4, keepAliveTimeout: 1_000 });
  return agent;
}
