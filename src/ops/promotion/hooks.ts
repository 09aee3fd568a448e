/**
 * Automatic approval hooks. `command` runs a program through the shell with the plan as JSON on
 * stdin: exit 0 approves, anything else rejects with its output as the reason. `webhook` POSTs the
 * plan as JSON (headers from environment variables, so tokens stay out of the topology): a 2xx
 * answer `{"approved": true, "by": "..."}` approves, any other 2xx or 4xx answer rejects, and
 * network errors, timeouts and 5xx are retried a bounded number of times before failing.
 */
import { spawn } from 'node:child_process';
import { isRetryableStatus, RegtopoError } from '../../errors.js';
import { backoff, DEFAULT_RETRY } from '../../transport/retry.js';
import { expandHeaderValue } from '../../topology/header-template.js';
import type { ApprovalSpec } from '../../topology/schema-flows.js';
import type { PromotionPlan } from './plan.js';

export interface HookDecision {
  approved: boolean;
  by: string;
  /** Output of the program, or the webhook's body / reason; capped. */
  output: string;
  exitCode?: number;
  status?: number;
}

const DEFAULT_TIMEOUT_S = 60;
const DEFAULT_RETRIES = 2;
const OUTPUT_CAP = 4000;

export type CommandHook = Extract<ApprovalSpec, { type: 'command' }>;
export type WebhookHook = Extract<ApprovalSpec, { type: 'webhook' }>;

export function runCommandHook(spec: CommandHook, plan: PromotionPlan, env: NodeJS.ProcessEnv = process.env): Promise<HookDecision> {
  const timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const by = `command:${spec.command}`;
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, {
      shell: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...env, REGTOPO_PLAN_HASH: plan.planHash, REGTOPO_IMAGE: plan.image, REGTOPO_STAGE: plan.stage, REGTOPO_DIGEST: plan.source.digest },
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < OUTPUT_CAP) output = (output + chunk.toString('utf8')).slice(0, OUTPUT_CAP);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new RegtopoError('E_CONFIG', `approval command "${spec.command}" could not start: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ approved: false, by, output: `${output}\n[timed out after ${timeoutMs / 1000} s]`.trim() });
      else resolve({ approved: code === 0, by, output: output.trim() || (code === 0 ? '' : `exit ${code ?? signal}`), exitCode: code ?? -1 });
    });
    // A command that never reads stdin must not fail the hook with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${JSON.stringify(plan)}\n`);
  });
}

export async function runWebhookHook(spec: WebhookHook, plan: PromotionPlan, env: NodeJS.ProcessEnv = process.env): Promise<HookDecision> {
  const timeoutMs = (spec.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
  const retries = spec.retries ?? DEFAULT_RETRIES;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  for (const [name, valueSpec] of Object.entries(spec.headers ?? {})) headers[name] = expandHeaderValue(name, valueSpec, env);
  const body = JSON.stringify(plan);
  let lastFailure = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, backoff(DEFAULT_RETRY, attempt)));
    let res: Response;
    try {
      res = await fetch(spec.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch (err) {
      lastFailure = err instanceof Error && err.name === 'TimeoutError' ? `timed out after ${timeoutMs / 1000} s` : String((err as Error).cause ?? err);
      continue;
    }
    const text = (await res.text()).slice(0, OUTPUT_CAP);
    if (isRetryableStatus(res.status)) {
      lastFailure = `HTTP ${res.status}`;
      continue;
    }
    let answer: { approved?: unknown; by?: unknown; reason?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch { /* not JSON: a rejection with the text as reason */ }
    const by = typeof answer.by === 'string' && answer.by ? answer.by : `webhook:${new URL(spec.url).host}`;
    const approved = res.status >= 200 && res.status < 300 && answer.approved === true;
    const output = typeof answer.reason === 'string' ? answer.reason : text;
    return { approved, by, output, status: res.status };
  }
  throw new RegtopoError('E_NETWORK', `approval webhook ${new URL(spec.url).origin}: no answer after ${retries + 1} attempts (${lastFailure})`);
}
