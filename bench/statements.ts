/**
 * What one request costs the databases on PostgreSQL: the SQL statements PostgreSQL ran for it
 * (pg_stat_statements of a private cluster; with node-postgres each statement is one round trip, a
 * transaction adds BEGIN and COMMIT) and the Redis commands (INFO commandstats of a private
 * redis-server). Latchkey runs as the bench runs it (`latchkey serve`, one process), without Redis
 * and with it; each case is warmed up first (caches filled, "last used" stamped), then counted over
 * `--requests` requests, 10 at a time. Background work in the window (housekeeping) shows as the
 * statements with a fraction of a call per request.
 *
 *   node --import tsx bench/statements.ts [--requests 2000] [--only cc-basic-form,introspect]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startPrivatePostgres } from '../test/helpers/private-postgres.ts';
import { startPrivateRedis } from '../test/helpers/redis.ts';
import type { CaseId, Plan } from './harness/cases.ts';
import { startLatchkey } from './harness/latchkey.ts';

const { values: o } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    only: { type: 'string', default: 'cc-basic-form,cc-post-form,introspect,me' },
  },
});
const requests = Number(o.requests);
const selected = o.only.split(',') as CaseId[];

async function send(url: string, plan: Plan, n: number): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (left-- > 0) {
        const v = plan.next?.() ?? {};
        const r = await fetch(url + plan.path, {
          method: plan.method,
          headers: { ...plan.headers, ...v.headers },
          body: v.body ?? plan.body ?? null,
        });
        if (!r.ok) throw new Error(`${plan.path}: ${r.status} ${await r.text()}`);
        await r.arrayBuffer();
      }
    }),
  );
}

const postgres = await startPrivatePostgres({ shared_preload_libraries: 'pg_stat_statements' });
const redisServer = await startPrivateRedis();
const admin = new pg.Client({ connectionString: postgres.url });
const redis = new Redis(redisServer.url);
const out: string[] = [];
try {
  await admin.connect();
  await admin.query('CREATE EXTENSION pg_stat_statements');
  for (const withRedis of [false, true]) {
    const name = withRedis ? 'PostgreSQL + Redis' : 'PostgreSQL';
    const target = await startLatchkey({
      core: 1,
      tokens: 100,
      postgres: postgres.url,
      ...(withRedis && { redisUrl: redisServer.url }),
      name,
    });
    const database = new URL(target.database!).pathname.slice(1);
    try {
      for (const c of selected) {
        const plan = (await target.plan(c, 0))!;
        await send(target.url, plan, 200);
        await admin.query('SELECT pg_stat_statements_reset()');
        await redis.config('RESETSTAT');
        await send(target.url, plan, requests);
        const { rows } = await admin.query<{ query: string; calls: string }>(
          `SELECT s.query, s.calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 ORDER BY s.calls DESC`,
          [database],
        );
        const commands = ((await redis.info('commandstats')) as string)
          .split('\n')
          .map((line) => /^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/.exec(line))
          .filter((m): m is RegExpExecArray => m !== null && !/^(config|info)/.test(m[1]!))
          .map((m) => ({ command: m[1]!, calls: Number(m[2]) }));
        const per = (calls: number | string) => (Number(calls) / requests).toFixed(3);
        const total = (xs: number[]) => per(xs.reduce((a, b) => a + b, 0));
        out.push(
          '',
          `${c} on ${name}: ${total(rows.map((r) => Number(r.calls)))} statements and ${total(commands.map((x) => x.calls))} Redis commands per request`,
        );
        for (const r of rows) out.push(`  ${per(r.calls)}  ${r.query.replace(/\s+/g, ' ').slice(0, 150)}`);
        for (const x of commands) out.push(`  ${per(x.calls)}  redis ${x.command.toUpperCase()}`);
      }
    } finally {
      await target.close();
    }
  }
  process.stdout.write(`${requests} requests per case, after 200 to warm up\n${out.join('\n')}\n`);
} finally {
  await admin.end();
  redis.disconnect();
  await redisServer.stop();
  await postgres.destroy();
}
