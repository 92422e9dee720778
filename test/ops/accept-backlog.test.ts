import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, BlockList, connect, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptWholeBacklog } from '../../src/http/accept-backlog.ts';

/** Turns of the event loop, counted at each check phase (one setImmediate per turn). */
function turnCounter(): { now: () => number; stop: () => void } {
  let turn = 0;
  let running = true;
  const tick = () => {
    turn++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (running = false) };
}

const servers: Server[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

async function listening(wholeBacklog: boolean): Promise<{ server: Server; port: number; turns: number[] }> {
  const server = createServer((req, res) => {
    res.end(`${req.socket.remotePort}`);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  if (wholeBacklog) expect(acceptWholeBacklog(server)).toEqual({ enabled: true });
  const turns: number[] = [];
  const counter = turnCounter();
  server.on('connection', () => turns.push(counter.now()));
  server.on('close', counter.stop);
  return { server, port: (server.address() as AddressInfo).port, turns };
}

/** `count` clients connect in one go: the kernel queues them all before the server's next turn. */
async function burst(port: number, count: number): Promise<Socket[]> {
  const made = Array.from({ length: count }, () => connect(port, '127.0.0.1'));
  clients.push(...made);
  await Promise.all(made.map((socket) => once(socket, 'connect')));
  return made;
}

/**
 * Turns in which the connections were seen. On loopback every handshake completes inside connect(),
 * so a drained burst arrives in one turn; two are allowed in case a loaded CI machine defers some of
 * the kernel's packet work, which is still far from one turn per connection.
 */
const turnsSeen = (turns: number[]): number => new Set(turns).size;
const oneBurst = 2;

const waitUntil = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(done()).toBe(true);
};

/** One HTTP/1.1 request on a socket already connected; the body of the answer. The socket stays open. */
function get(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk;
      if (!/\r\n\r\n\d+$/.test(text)) return;
      socket.off('data', onData);
      resolve(text.split('\r\n\r\n')[1]!);
    };
    socket.on('data', onData);
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  });
}

describe('accepting a burst of connections (src/http/accept-backlog.ts)', () => {
  // The premise, so that a Node whose libuv accepts in a loop again shows up here.
  it("without it, Node accepts one connection per turn of the event loop (libuv's behaviour)", async () => {
    const { port, turns } = await listening(false);
    await burst(port, 20);
    await waitUntil(() => turns.length === 20);
    expect(turnsSeen(turns)).toBeGreaterThan(10);
  });

  it('takes the whole queue in the turn that sees its first connection', async () => {
    const { port, turns } = await listening(true);
    await burst(port, 20);
    await waitUntil(() => turns.length === 20);
    expect(turnsSeen(turns)).toBeLessThanOrEqual(oneBurst);
  });

  it('hands each socket over as Node would: served, counted, its peer known, released on close', async () => {
    const { server, port, turns } = await listening(true);
    const sockets = await burst(port, 12);
    await waitUntil(() => turns.length === 12);
    expect(turnsSeen(turns)).toBeLessThanOrEqual(oneBurst); // handed over here, not accepted by libuv
    const answers = await Promise.all(sockets.map(get));
    expect(answers).toEqual(sockets.map((socket) => String(socket.localPort)));

    const count = () => new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    expect(await count()).toBe(12);
    for (const socket of sockets) socket.destroy();
    await waitUntil(() => (server as unknown as { _connections: number })._connections === 0);
    // close() waits for connections to end; the handed-over sockets count themselves out.
    const closed = new Promise((r) => server.close(r));
    servers.splice(servers.indexOf(server), 1);
    await expect(closed).resolves.toBeUndefined();
  });

  it("gives handed-over sockets the server's socket options, as Node's own accept does", async () => {
    // keepAlive and its delay, and http's default noDelay: net.js records each on the socket.
    const server = createServer({ keepAlive: true, keepAliveInitialDelay: 3000 });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const sockets: Socket[] = [];
    server.on('connection', (socket: Socket) => sockets.push(socket)); // before the drain's listener
    expect(acceptWholeBacklog(server)).toEqual({ enabled: true });
    await burst((server.address() as AddressInfo).port, 6);
    await waitUntil(() => sockets.length === 6);
    const options = (socket: Socket) =>
      Object.fromEntries(
        Object.getOwnPropertySymbols(socket)
          .filter((key) => /^Symbol\(kSet(NoDelay|KeepAlive|KeepAliveInitialDelay)\)$/.test(String(key)))
          .map((key) => [String(key), (socket as unknown as Record<symbol, unknown>)[key]]),
      );
    // The first was accepted by libuv; the others were handed over here.
    expect(options(sockets[0]!)).toEqual({
      'Symbol(kSetNoDelay)': true,
      'Symbol(kSetKeepAlive)': true,
      'Symbol(kSetKeepAliveInitialDelay)': 3,
    });
    for (const socket of sockets.slice(1)) expect(options(socket)).toEqual(options(sockets[0]!));
  });

  it('keeps to maxConnections: the rest are left to Node, which drops them', async () => {
    const { server, port, turns } = await listening(true);
    server.maxConnections = 5;
    let dropped = 0;
    server.on('drop', () => dropped++);
    await burst(port, 12);
    await waitUntil(() => turns.length + dropped === 12);
    expect(turns).toHaveLength(5);
    expect(turnsSeen(turns)).toBeLessThanOrEqual(oneBurst);
    expect(dropped).toBe(7);
  });

  it("closes the sockets it has not handed over yet when a 'connection' listener throws", async () => {
    const { server, port } = await listening(true);
    let seen = 0;
    server.on('connection', () => {
      if (++seen === 2) throw new Error('listener failed');
    });
    // Five connections queued while this process's event loop is blocked (the child connects and
    // exits), so libuv has accepted none of them when the drain runs below.
    const child = spawnSync(process.execPath, [
      '-e',
      `const net = require('node:net');
       let open = 0;
       for (let i = 0; i < 5; i++) net.connect(${port}, '127.0.0.1', () => { if (++open === 5) process.exit(0); });`,
    ]);
    expect(child.status).toBe(0);
    const descriptors = () => readdirSync('/proc/self/fd').length;
    const before = descriptors();
    // As libuv would: 'connection' for a socket it accepted, which starts the drain.
    expect(() => server.emit('connection', new Socket())).toThrow('listener failed');
    // The first two were handed over (the second's listener threw); the other three are closed.
    expect(seen).toBe(2);
    expect(descriptors()).toBe(before + 2);
  });

  it('says why not when the server has no socket of its own', () => {
    const server = createServer();
    expect(acceptWholeBacklog(server)).toEqual({
      enabled: false,
      reason: 'the server does not accept its own connections',
    });
  });

  it('stands aside for a server that refuses addresses at accept (blockList, Node ≥ 22.13)', async () => {
    const server = createServer();
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    Object.assign(server, { blockList: new BlockList() });
    expect(acceptWholeBacklog(server)).toEqual({
      enabled: false,
      reason: 'the server filters addresses (blockList)',
    });
  });

  it('answers every request of a 50-connection burst to a real server', async () => {
    const { port, turns } = await listening(true);
    const sockets = await burst(port, 50);
    const answers = await Promise.all(sockets.map(get));
    expect(answers).toHaveLength(50);
    expect(turnsSeen(turns)).toBeLessThanOrEqual(oneBurst);
  });
});
