import type { CaseId, Plan } from './cases.ts';

/** A server under test, running in its own pinned process. */
export interface Target {
  name: string;
  url: string;
  pid: number;
  /** Spawn to first successful answer, ms. */
  startMs: number;
  /** Resident memory 0.5 s after start, before any load, bytes. */
  idleRss: number;
  /** PostgreSQL: the server's database (URL). */
  database?: string;
  /** PostgreSQL: CPU time (µs) its backends have used so far; undefined when not on this machine. */
  databaseCpu?: () => Promise<number | undefined>;
  /** The row this one is compared with in the PostgreSQL table (the same build on SQLite). */
  reference?: string;
  /** How to load it for case `c`, with `n` single-use artifacts when the case needs them; undefined: not supported. */
  plan(c: CaseId, n: number): Promise<Plan | undefined>;
  close(): Promise<void>;
}
