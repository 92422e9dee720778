/**
 * Token endpoint throughput, side by side in one run: bare Fastify (ceiling), node-oidc-provider
 * (peer), Latchkey. Each server runs in its own process (one core) while autocannon drives it from
 * this one (the other core), over loopback only, for a bounded time. Prints req/s and ratios.
 *
 *   node --import tsx bench/token.ts [--seconds 10] [--connections 50]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } },
});
const duration = Number(values.seconds);
const connections = Number(values.connections);
const here = import.meta.dirname;

const peers = [
  { name: 'bare Fastify (ceiling)', file: 'servers/fastify.ts', port: 38201 },
  { name: 'node-oidc-provider', file: 'servers/oidc-provider.mjs', port: 38202 },
  { name: 'Latchkey', file: 'servers/latchkey.ts', port: 38203 },
];

interface Ready {
  path: string;
  clientId: string;
  clientSecret: string;
}

function start(file: string, port: number): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, file)], {
    env: { ...process.env, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = /READY (.*)\n/.exec(out);
      if (line) resolve({ child, ready: JSON.parse(line[1]!) });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}`)));
  });
}

async function load(port: number, ready: Ready, seconds: number): Promise<autocannon.Result> {
  const basic = Buffer.from(
    `${encodeURIComponent(ready.clientId)}:${encodeURIComponent(ready.clientSecret)}`,
  ).toString('base64');
  return autocannon({
    url: `http://127.0.0.1:${port}${ready.path}`,
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=invoices:read',
    connections,
    duration: seconds,
  });
}

const results: { name: string; rps: number; p99: number; non2xx: number }[] = [];
for (const peer of peers) {
  const { child, ready } = await start(peer.file, peer.port);
  try {
    await load(peer.port, ready, 2); // warm-up: JIT, connection pools, caches
    const r = await load(peer.port, ready, duration);
    results.push({
      name: peer.name,
      rps: r.requests.average,
      p99: r.latency.p99,
      non2xx: r.non2xx + r.errors,
    });
  } finally {
    child.kill('SIGTERM');
  }
}

const oidc = results.find((r) => r.name === 'node-oidc-provider')!.rps;
const ceiling = results[0]!.rps;
console.log(
  `\nclient_credentials, ${connections} connections, ${duration} s each, ${new Date().toISOString()}`,
);
console.log('| server | req/s | p99 ms | errors | × oidc-provider | of bare Fastify |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.name} | ${Math.round(r.rps)} | ${r.p99} | ${r.non2xx} | ${(r.rps / oidc).toFixed(2)} | ${((r.rps / ceiling) * 100).toFixed(0)} % |`,
  );
}
