import { closeSync } from 'node:fs';
import { type Server, Socket } from 'node:net';
import { loadAddon } from '../native.ts';

interface NativeAccept {
  acceptPending(fd: number, max: number): number[];
}

const native = loadAddon<NativeAccept>('accept');

/** What net.Server keeps for the sockets it accepts; Node's types leave these out. */
interface ListeningServer extends Server {
  _handle?: { fd?: number } | null;
  _connections: number;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  /** Node ≥ 22.13: addresses refused at accept (net.js `onconnection`). */
  blockList?: unknown;
}

/** At most this many connections taken from the queue per turn. */
const perTurn = 128;

/**
 * Takes a whole burst of new connections in one turn of the event loop. libuv accepts one per turn
 * (libuv/libuv#3696, libuv ≥ 1.45): when 50 clients connect at once to a server busy answering
 * others, the last one's first request waits 50 turns. Measured on the token endpoint at ~8,000
 * req/s: the 50th connection of a burst was accepted 250 ms after the first, and those first
 * requests made the load generator's p99 (bench/README.md, "Thirteenth round").
 *
 * When libuv hands the server one connection, native/accept.c takes the rest of the queue and each
 * socket is given to the server as Node's own accept does it (net.js `onconnection`: the server's
 * socket options, the connection count that `close()` and `getConnections()` read, `maxConnections`).
 * Returns why not where it cannot: the addon is not built, or the server has no descriptor of its
 * own (a cluster worker, whose primary accepts for it).
 */
export function acceptWholeBacklog(server: Server): { enabled: true } | { enabled: false; reason: string } {
  const addon = native.addon;
  if (!addon) return { enabled: false, reason: `native/accept.c is not built (${native.reason})` };
  const listening = server as ListeningServer;
  if (typeof listening._handle?.fd !== 'number' || listening._handle.fd < 0) {
    return { enabled: false, reason: 'the server does not accept its own connections' };
  }
  // Node refuses a blocked address at accept; a socket handed over here would skip that check.
  if (listening.blockList) return { enabled: false, reason: 'the server filters addresses (blockList)' };
  let handing = false;
  server.on('connection', () => {
    // The sockets handed over below emit 'connection' too.
    if (handing) return;
    const fd = listening._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return; // closed since
    const room = listening.maxConnections ? listening.maxConnections - listening._connections : perTurn;
    if (room <= 0) return; // libuv accepts and drops the rest, and emits 'drop'
    handing = true;
    const accepted = addon.acceptPending(fd, Math.min(room, perTurn));
    let next = 0;
    try {
      for (; next < accepted.length; next++) handOver(listening, accepted[next]!);
    } finally {
      handing = false;
      // A 'connection' listener threw, as it would have from Node's own accept: the sockets not yet
      // handed over are closed rather than left open with no one to read them.
      for (const rest of accepted.slice(next + 1)) closeSync(rest);
    }
  });
  return { enabled: true };
}

/** net.js `onconnection`, for a socket accepted here rather than by libuv. */
function handOver(server: ListeningServer, fd: number): void {
  let socket: Socket;
  try {
    socket = open(server, fd);
  } catch {
    closeSync(fd); // the client sees the connection reset, as after a failed accept
    return;
  }
  if (server.noDelay) socket.setNoDelay(true);
  // The server keeps the delay in seconds (net.js); Socket#setKeepAlive takes milliseconds.
  if (server.keepAlive) socket.setKeepAlive(true, (server.keepAliveInitialDelay ?? 0) * 1000);
  server._connections++;
  // A socket with a server counts itself out of `_connections` when it closes (net.js `_destroy`).
  Object.assign(socket, { server, _server: server });
  server.emit('connection', socket);
}

const open = (server: ListeningServer, fd: number): Socket =>
  new Socket({
    fd,
    allowHalfOpen: server.allowHalfOpen,
    pauseOnCreate: server.pauseOnConnect,
    readable: true,
    writable: true,
    readableHighWaterMark: server.highWaterMark,
    writableHighWaterMark: server.highWaterMark,
  } as ConstructorParameters<typeof Socket>[0]);
