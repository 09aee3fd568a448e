/**
 * The two pieces of undici regtopo uses: the keep-alive Agent and the `request` API. undici's index
 * also loads fetch, WebSocket, caches and mock agents (~40 ms of start-up on every command,
 * measured), so these are imported from their own modules. undici ships no "exports" map, so the
 * paths are importable; the types still come from the package root (see undici-parts.d.ts).
 * Static imports (not createRequire) so the CLI bundle (scripts/bundle.mjs) can include them.
 */
import type { Agent as AgentClass, Dispatcher } from 'undici';
import AgentModule from 'undici/lib/dispatcher/agent.js';
import requestModule from 'undici/lib/api/api-request.js';

export const Agent: typeof AgentClass = AgentModule;

/** undici's `request`, callable on any Dispatcher (including an injected one) given as `this`. */
export const undiciRequest: (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> = requestModule;
