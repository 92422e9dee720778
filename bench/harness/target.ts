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
  /** How to load it for case `c`, with `n` single-use artifacts when the case needs them; undefined: not supported. */
  plan(c: CaseId, n: number): Promise<Plan | undefined>;
  close(): Promise<void>;
}
