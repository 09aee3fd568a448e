/**
 * TCP connections to the registries a `copy` or `tag` names, opened by bin/regtopo.js before the CLI
 * bundle loads (this module is a bundle of its own, dist/cli/early-dial.bundle.cjs, a few KB). The
 * bundle's code cache, its modules and the command's set-up take 50-90 ms before the first request;
 * a TCP handshake across a WAN takes a round trip. Opened here, the handshake runs during that
 * set-up instead of after it, and the first request to each registry goes out on a connection that
 * is already there. The client adopts each socket (RegistryClient.adoptConnection) once it knows the
 * registry's scheme and port; one that does not lead there, or is never adopted, is closed.
 *
 * Speculative and silent: nothing is sent, an argument that is not a reference with an explicit
 * registry is skipped, and a failed connect only leaves the request to dial for itself. The scheme
 * is guessed as the client defaults it (http for loopback hosts and under --plain-http, else
 * https) only to pick the port when the reference has none; a topology that says otherwise leaves
 * the socket unadopted.
 */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { Reference } from '../ref/reference.js';
import { apiHost, DOCKER_HUB, hostName, isLoopbackHost } from '../ref/registry-host.js';

/** A connection opened to `port` of the registry `registry` (canonical host[:port]). */
export interface EarlySocket {
  registry: string;
  port: number;
  socket: Socket;
  /** Stops the timer that closes it unadopted: call it when a client takes the socket. */
  claim(): Socket;
}

// The commands whose first requests go to registries named by their positional arguments.
const COMMANDS = new Set(['copy', 'tag']);
// A copy names two registries; more arguments than that are not references.
const MAX_REGISTRIES = 2;
// Longer than any start-up; shorter than registries' idle timeouts.
const UNADOPTED_MS = 5_000;

/** Opens one connection per registry the arguments (process.argv without node and script) name. */
export function dialEarly(args: readonly string[]): EarlySocket[] {
  const at = args.findIndex((a) => COMMANDS.has(a));
  if (at === -1) return [];
  const plainHttp = args.includes('--plain-http');
  const out: EarlySocket[] = [];
  for (const arg of args.slice(at + 1)) {
    if (out.length === MAX_REGISTRIES) break;
    const registry = explicitRegistry(arg);
    if (registry === undefined || out.some((e) => e.registry === registry)) continue;
    const host = apiHost(registry);
    const port = portOf(host) ?? (plainHttp || isLoopbackHost(host) ? 80 : 443);
    // undici's own connector sets the same: 64 KiB reads (a stream option @types/node omits for
    // connect), no Nagle, keep-alive probes after 60 s.
    const options = { host: hostName(host), port, highWaterMark: 64 * 1024, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
    const socket = connect(options as NetConnectOpts);
    // A failure is the adopting pool's to meet (it dials again); unadopted, it must not keep us alive.
    socket.on('error', () => {});
    socket.unref();
    const unadopted = setTimeout(() => socket.destroy(), UNADOPTED_MS).unref();
    out.push({ registry, port, socket, claim: () => (clearTimeout(unadopted), socket) });
  }
  return out;
}

/** The registry of a reference that names one (`host[:port]/repo…`); undefined for Docker Hub's short names and non-references. */
function explicitRegistry(arg: string): string | undefined {
  if (arg.startsWith('-') || !arg.includes('/')) return undefined;
  try {
    const ref = Reference.parse(arg);
    return ref.registry === DOCKER_HUB ? undefined : ref.registry;
  } catch {
    return undefined;
  }
}

function portOf(host: string): number | undefined {
  const m = /:(\d+)$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']')) : host);
  return m ? Number(m[1]) : undefined;
}
