// The PostgreSQL side of the Latchkey rows: a database of their own on the server given with
// `--postgres`, and the CPU time of the backends that serve it (the database's share of a request).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { cpuMicros } from './process.ts';

export interface BenchDatabase {
  /** The new database's URL, for LATCHKEY_DATABASE. */
  url: string;
  /**
   * CPU time (user + system, µs) the backends serving this database have used so far, or undefined
   * when they are not processes of this machine (a remote server).
   */
  cpu(): Promise<number | undefined>;
  /** Drops the database (and ends the connection that watched it). */
  drop(): Promise<void>;
}

/** A new, empty database on the server at `serverUrl`, named for this run. */
export async function benchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `latchkey_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // Per backend (pid and start: a pid can be reused), the CPU last read: a backend that has exited
  // keeps what it had used when last read.
  const seen = new Map<string, number>();
  return {
    url: url.href,
    async cpu() {
      const { rows } = await admin.query<{ pid: number; started: string }>(
        `SELECT pid, backend_start::text AS started FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend'`,
        [name],
      );
      const local = rows.filter((r) => isPostgresProcess(r.pid));
      if (rows.length > 0 && local.length === 0) return undefined;
      for (const { pid, started } of local) seen.set(`${pid} ${started}`, cpuMicros(pid));
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Whether `pid` is a postgres process of this machine (not another one that has the same number). */
function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return false;
  }
}
