/**
 * The pieces of undici regtopo uses: the keep-alive Agent, its connector builder and the request API
 * of a Dispatcher, all from undici's public package root, so a minor release of undici cannot break
 * library users. The CLI bundle swaps the root for scripts/undici-lean.cjs (only these pieces,
 * without fetch, WebSocket and caches, ~40 ms of start-up on every command); the library never does.
 */
import { Agent as UndiciAgent, buildConnector as undiciBuildConnector, type Dispatcher } from 'undici';

export const Agent = UndiciAgent;
export const buildConnector = undiciBuildConnector;

/** undici's `request`, callable on any Dispatcher (including an injected one) given as `this`. */
export function undiciRequest(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return this.request(opts);
}
