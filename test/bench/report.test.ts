// The benchmark's report: ratios, the JSON-vs-form comparison and the README markers. Structure only;
// no figure here is a timing (the harness itself runs with `npm run bench -- --quick`).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Measure } from '../../bench/harness/load.ts';
import { comparison, markdown, postgresTable, type Report, writeReadme } from '../../bench/harness/report.ts';

const m = (rps: number): Measure => ({
  rps,
  p50: 1,
  p99: 2,
  cpuUs: 1e6 / rps,
  errors: 0,
  shortfall: 0,
  peakRss: 100 * 2 ** 20,
  statuses: {},
  sent: rps,
});

const report: Report = {
  meta: { date: 'D', machine: 'M', node: 'v20', versions: 'V', command: 'npm run bench', detail: 'x' },
  cases: [
    {
      id: 'cc-basic-form',
      title: 'cc form',
      rows: [
        { server: 'bare Fastify (ceiling)', rounds: [m(10_000), m(10_000)] },
        { server: 'node-oidc-provider', rounds: [m(1000), m(3000)] },
        { server: 'Latchkey', rounds: [m(4000), m(4000)] },
      ],
    },
    {
      id: 'cc-basic-json',
      title: 'cc json',
      rows: [
        { server: 'bare Fastify (ceiling)', rounds: [m(8000)] },
        { server: 'Latchkey', rounds: [m(3000)] },
      ],
    },
  ],
  servers: [{ server: 'Latchkey', startMs: 400, idleRss: 70 * 2 ** 20, peakRss: 110 * 2 ** 20 }],
  notes: ['provisional'],
};

describe('bench report', () => {
  const text = markdown(report);
  const row = (start: string) => text.split('\n').find((l) => l.startsWith(start))!;

  it('averages the rounds and gives each server its ratio to the peer and to the ceiling', () => {
    expect(row('| cc form | Latchkey |')).toContain('| 4000 |');
    // Server CPU per request, averaged over the rounds like the rest.
    expect(row('| cc form | Latchkey |')).toContain('| 1 | 2 | 250 | 0 |');
    expect(row('| cc form | node-oidc-provider |')).toContain('| 667 | 0 |');
    expect(row('| cc form | Latchkey |')).toMatch(/\| 2\.00 \| 40 % \|$/);
    expect(row('| cc form | node-oidc-provider |')).toMatch(/\| 2000 \|.*\| 1\.00 \| 20 % \|$/);
  });

  it('compares a JSON case with the peer’s form figure, since the peer takes form bodies only', () => {
    expect(row('| cc json | Latchkey |')).toMatch(/\| 1\.50 \(vs form\) \| 38 % \|$/);
  });

  it('lists start time and memory per server, and the notes', () => {
    expect(text).toContain('| Latchkey | 400 | 70 | 110 |');
    expect(text).toContain('- provisional');
  });

  it('adds p99.9 and max columns when the load generator measured them (wrk)', () => {
    expect(text).not.toContain('p99.9');
    const withTail: Report = {
      ...report,
      cases: [
        {
          id: 'cc-basic-form',
          title: 'cc form',
          rows: [
            {
              server: 'Latchkey',
              rounds: [
                { ...m(4000), p999: 7, max: 30 },
                { ...m(4000), p999: 9, max: 20 },
              ],
            },
          ],
        },
      ],
    };
    const lines = markdown(withTail).split('\n');
    expect(lines.find((l) => l.startsWith('| case |'))).toContain(
      '| p99 ms | p99.9 ms | max ms | server CPU',
    );
    // p99.9 averaged over the rounds like the other columns; max is the highest of them.
    expect(lines.find((l) => l.startsWith('| cc form | Latchkey |'))).toContain('| 1 | 2 | 8 | 30 | 250 |');
  });

  it('replaces only the text between the markers of the README', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-readme-')), 'README.md');
    writeFileSync(file, 'before\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n');
    writeReadme('new table', file);
    expect(readFileSync(file, 'utf8')).toBe(
      'before\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\nafter\n',
    );
    writeFileSync(file, 'no markers\n');
    expect(() => writeReadme('x', file)).toThrow(/markers/);
  });

  it('sets two builds side by side (--compare): CPU per request of each case, start, idle and peak RSS', () => {
    const mib = 2 ** 20;
    const two: Report = {
      ...report,
      cases: [
        {
          id: 'cc-basic-form',
          title: 'cc form',
          rows: [
            { server: 'Latchkey (main)', rounds: [m(4000)] },
            { server: 'Latchkey', rounds: [m(5000)] },
          ],
        },
      ],
      servers: [
        { server: 'Latchkey (main)', startMs: 400, idleRss: 80 * mib, peakRss: 120 * mib },
        { server: 'Latchkey', startMs: 300, idleRss: 70 * mib, peakRss: 110 * mib },
      ],
    };
    const text = comparison(two, 'Latchkey (main)', 'Latchkey');
    expect(text).toContain('| cc form: server CPU µs/req | 250 | 200 | 0.80 |');
    expect(text).toContain('| start → first answer, ms | 400 | 300 | 0.75 |');
    expect(text).toContain('| idle RSS, MB | 80 | 70 | 0.88 |');
    expect(text).toContain('| peak RSS, MB | 120 | 110 | 0.92 |');
  });

  it('sets the PostgreSQL rows beside their build on SQLite: rate and p99 ratios, server and database CPU', () => {
    const pg = (rps: number, p99: number, databaseCpuUs?: number): Measure => ({
      ...m(rps),
      p99,
      ...(databaseCpuUs !== undefined && { databaseCpuUs }),
    });
    const run: Report = {
      ...report,
      cases: [
        {
          id: 'introspect',
          title: 'introspection',
          rows: [
            { server: 'Latchkey', rounds: [m(4000), m(4000)] },
            {
              server: 'Latchkey (PostgreSQL)',
              reference: 'Latchkey',
              rounds: [pg(2000, 6, 40), pg(2000, 2, 60)],
            },
            { server: 'Latchkey (PostgreSQL + Redis)', reference: 'Latchkey', rounds: [pg(3000, 3, 10)] },
            { server: 'Latchkey (remote PostgreSQL)', reference: 'Latchkey', rounds: [pg(1000, 2)] },
          ],
        },
      ],
    };
    const lines = postgresTable(run).split('\n');
    const line = (server: string) => lines.find((l) => l.startsWith(`| introspection | ${server} |`));
    expect(line('Latchkey')).toBe(
      '| introspection | Latchkey | 4000 | 1.00 | 2 | 1.00 | 250 | in the server | 250 |',
    );
    expect(line('Latchkey (PostgreSQL)')).toBe(
      '| introspection | Latchkey (PostgreSQL) | 2000 | 0.50 | 4 | 2.00 | 500 | 50 | 550 |',
    );
    expect(line('Latchkey (PostgreSQL + Redis)')).toBe(
      '| introspection | Latchkey (PostgreSQL + Redis) | 3000 | 0.75 | 3 | 1.50 | 333 | 10 | 343 |',
    );
    // A database on another machine: its CPU is not known here.
    expect(line('Latchkey (remote PostgreSQL)')).toContain('| 1000 | 0.25 | 2 | 1.00 | 1000 | — | — |');
    expect(lines.filter((l) => l.startsWith('| introspection | Latchkey |'))).toHaveLength(1);
    expect(postgresTable(report)).toBe('');
  });
});
