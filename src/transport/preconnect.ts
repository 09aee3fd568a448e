/**
 * Connections dialled before the requests that will need them. undici dials when a request finds
 * every connection of its pool busy, so a burst of requests (a copy's mounts, HEADs or uploads)
 * first waits for a TCP handshake, and TLS on top: a round trip or two across a WAN, on the path of
 * every copy that goes past its first HEADs. A Preconnector is the connector an undici pool calls
 * (undici's documented `connect` option, around its own `buildConnector`): `open(origin, n)` dials
 * n sockets now, and the pool's next connects to that origin take them instead of dialling.
 *
 * Spares are speculative. One that fails to connect is dropped (the pool dials as usual); one nobody
 * takes is closed after SPARE_IDLE_MS or by close(); an idle spare never keeps the process alive.
 */
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';

/** Shorter than the idle timeouts registries and their load balancers use (Go's ~90 s, ALBs 60 s). */
export const SPARE_IDLE_MS = 5_000;
/** How long an adopted socket may take to connect: undici's own connect timeout. */
export const ADOPTED_CONNECT_MS = 10_000;

type Connector = buildConnector.connector;
type Callback = buildConnector.Callback;

interface Spare {
  socket?: Socket;
  /** Its 'close' listener while it waits (removed when a pool takes it). */
  drop?: () => void;
  /** A pool connect that took this spare while it was still dialling. */
  taker?: { options: buildConnector.Options; callback: Callback };
  timer?: NodeJS.Timeout;
}

export class Preconnector {
  private readonly spares = new Map<string, Spare[]>();
  private closed = false;
  /** Pass as undici's `connect` option. */
  readonly connect: Connector;

  constructor(
    private readonly dial: Connector,
    private readonly idleMs = SPARE_IDLE_MS,
    private readonly adoptedConnectMs = ADOPTED_CONNECT_MS,
  ) {
    this.connect = (options, callback) => {
      const list = this.closed ? undefined : this.spares.get(keyOf(options.protocol, options.host ?? options.hostname));
      for (let spare = list?.shift(); spare; spare = list?.shift()) {
        if (!spare.socket) {
          spare.taker = { options, callback };
          return;
        }
        // Closed by the peer in a callback not yet run: not a connection to hand anyone.
        if (spare.socket.destroyed || !spare.socket.writable) {
          discard(spare);
          continue;
        }
        return handOver(spare, spare.socket, callback);
      }
      dial(options, callback);
    };
  }

  /** Spares dialled or dialling to `origin` that no pool has taken yet. */
  spareCount(origin: URL): number {
    return this.spares.get(keyOf(origin.protocol, origin.host))?.length ?? 0;
  }

  /** Dials `count` spare connections to `origin` (`http:` or `https:`). */
  open(origin: URL, count: number): void {
    for (let i = 0; i < count; i++) this.spare(origin, this.dial);
  }

  /**
   * Takes `socket`, a TCP connection to `origin`'s host and port (connected or still connecting), as
   * a spare: as it is for http, upgraded to TLS by the pool's own connector for https.
   */
  adopt(origin: URL, socket: Socket): void {
    if (this.closed) return void socket.destroy();
    this.spare(origin, origin.protocol === 'https:' ? (options, callback) => this.dial({ ...options, httpSocket: socket }, callback) : (_options, callback) => whenConnected(socket, this.adoptedConnectMs, callback));
  }

  private spare(origin: URL, dial: Connector): void {
    if (this.closed) return;
    const key = keyOf(origin.protocol, origin.host);
    const list = this.spares.get(key) ?? [];
    this.spares.set(key, list);
    // undici strips an IPv6 literal's brackets before it dials; so must a spare.
    const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
    const options: buildConnector.Options = { protocol: origin.protocol, host: origin.host, hostname, port: origin.port };
    const spare: Spare = {};
    list.push(spare);
    dial(options, (err, socket) => {
      const taker = spare.taker;
      if (err || !socket) {
        remove(list, spare);
        // The pool asked meanwhile: it dials for itself, and meets the real error if there is one.
        if (taker) this.dial(taker.options, taker.callback);
        return;
      }
      if (taker) return handOver(spare, socket, taker.callback);
      if (this.closed || !list.includes(spare)) return void socket.destroy();
      spare.socket = socket;
      socket.unref();
      spare.drop = () => {
        remove(list, spare);
        discard(spare);
      };
      socket.once('close', spare.drop);
      spare.timer = setTimeout(spare.drop, this.idleMs).unref();
    });
  }

  /** Closes every spare; later connects dial as usual. */
  close(): void {
    this.closed = true;
    for (const list of this.spares.values()) {
      for (const spare of list.splice(0)) discard(spare);
    }
  }
}

function handOver(spare: Spare, socket: Socket, callback: Callback): void {
  clearTimeout(spare.timer);
  if (spare.drop) socket.off('close', spare.drop);
  // The pool owns it now, and refs or unrefs it by its own requests.
  socket.ref();
  // Never from inside the pool's connect call: undici's client ignores a resume that re-enters it,
  // and its request would wait forever (a dialled socket always answers from a later event).
  process.nextTick(callback, null, socket);
}

/**
 * A plain TCP socket as a connector's answer: once connected, or its error. A connect that takes
 * longer than `timeoutMs` is given up, as undici's own connector gives up (a host that drops SYNs
 * would otherwise hold the request for the kernel's two minutes).
 */
function whenConnected(socket: Socket, timeoutMs: number, callback: Callback): void {
  if (socket.destroyed) return void callback(new Error('connection closed before it was adopted'), null);
  if (!socket.connecting) return void callback(null, socket);
  const done = (err: Error | null) => {
    clearTimeout(timer);
    socket.off('error', done);
    socket.off('connect', connected);
    if (err) {
      socket.destroy();
      callback(err, null);
    } else {
      callback(null, socket);
    }
  };
  const connected = () => done(null);
  const timer = setTimeout(() => done(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs).unref();
  socket.once('error', done);
  socket.once('connect', connected);
}

function discard(spare: Spare): void {
  clearTimeout(spare.timer);
  if (spare.drop) spare.socket?.off('close', spare.drop);
  spare.socket?.destroy();
}

function remove(list: Spare[], spare: Spare): void {
  const i = list.indexOf(spare);
  if (i !== -1) list.splice(i, 1);
}

function keyOf(protocol: string, host: string): string {
  return `${protocol}//${host}`;
}
