import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { CaseId } from './cases.ts';
import type { Measure } from './load.ts';
import { fastifyName } from './peers.ts';

const root = join(import.meta.dirname, '../..');

export interface Row {
  server: string;
  note?: string;
  /** The row this one is compared with in the PostgreSQL table (the same build on SQLite). */
  reference?: string;
  rounds: Measure[];
}

export interface ServerSummary {
  server: string;
  startMs: number;
  idleRss: number;
  /** Lifetime peak (VmHWM) at the end of the run. */
  peakRss: number;
}

export interface Report {
  meta: Record<string, string | number>;
  cases: { id: CaseId; title: string; rows: Row[] }[];
  servers: ServerSummary[];
  notes: string[];
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const version = (pkg: string): string =>
  JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

export function machine(command: string): Record<string, string | number> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {}
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
    node: process.version,
    versions: `latchkey ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} (${commit}), fastify ${version('fastify')}, oidc-provider ${version('oidc-provider')}, autocannon ${version('autocannon')}`,
    'load average at start': loadavg()[0]!.toFixed(2),
    command,
  };
}

/** Markdown: one table per case with ratios, then start/memory per server. */
export function markdown(report: Report): string {
  const out: string[] = [];
  const m = report.meta;
  out.push(`${m.date} · ${m.machine} · Node ${m.node} · ${m.versions}`);
  out.push(
    '',
    `\`${m.command}\` — ${m.detail}; load average ${m['load average at start']} at start, ${m['load average at end']} at end.`,
  );
  // wrk reports the tail beyond p99 too: two more columns then.
  const tail = report.cases.some((c) => c.rows.some((r) => r.rounds.some((x) => x.p999 !== undefined)));
  out.push(
    '',
    `| case | server | req/s | p50 ms | p99 ms |${tail ? ' p99.9 ms | max ms |' : ''} server CPU µs/req | errors | peak RSS MB | × node-oidc-provider | % of bare Fastify |`,
  );
  out.push(
    `| --- | --- | ---: | ---: | ---: |${tail ? ' ---: | ---: |' : ''} ---: | ---: | ---: | ---: | ---: |`,
  );
  const rps = (rows: Row[] | undefined, name: string) => {
    const row = rows?.find((r) => r.server === name);
    return row ? mean(row.rounds.map((x) => x.rps)) : undefined;
  };
  for (const c of report.cases) {
    // node-oidc-provider takes form bodies only: JSON cases compare with its form figure.
    const peerCase = c.id.endsWith('json')
      ? report.cases.find((x) => x.id === c.id.replace('json', 'form'))
      : c;
    const peer = rps(peerCase?.rows, 'node-oidc-provider');
    const ceiling = rps(c.rows, fastifyName);
    for (const row of c.rows) {
      const r = mean(row.rounds.map((x) => x.rps));
      const errors = row.rounds.reduce((a, x) => a + x.errors, 0);
      const vs = peer ? `${(r / peer).toFixed(2)}${peerCase === c ? '' : ' (vs form)'}` : '—';
      const tailCells = tail
        ? ` ${mean(row.rounds.map((x) => x.p999 ?? 0)).toFixed(0)} | ${Math.max(...row.rounds.map((x) => x.max ?? 0)).toFixed(0)} |`
        : '';
      out.push(
        `| ${c.title} | ${row.server}${row.note ? ` (${row.note})` : ''} | ${Math.round(r)} | ${mean(row.rounds.map((x) => x.p50)).toFixed(0)} | ${mean(row.rounds.map((x) => x.p99)).toFixed(0)} |${tailCells} ${mean(row.rounds.map((x) => x.cpuUs)).toFixed(0)} | ${errors} | ${mb(Math.max(...row.rounds.map((x) => x.peakRss)))} | ${vs} | ${ceiling ? `${((r / ceiling) * 100).toFixed(0)} %` : '—'} |`,
      );
    }
  }
  out.push(
    '',
    '| server | start → first answer ms (median of 3 starts) | idle RSS MB | peak RSS MB (VmHWM, whole run) |',
  );
  out.push('| --- | ---: | ---: | ---: |');
  for (const s of report.servers)
    out.push(`| ${s.server} | ${s.startMs.toFixed(0)} | ${mb(s.idleRss)} | ${mb(s.peakRss)} |`);
  if (report.notes.length) out.push('', ...report.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

/**
 * The rows on PostgreSQL beside their build on SQLite: rate and p99 as ratios to it, and the CPU per
 * request of the server and of the database's backends (on SQLite the database is in the server).
 * Empty when the run had no PostgreSQL rows.
 */
export function postgresTable(report: Report): string {
  const out: string[] = [];
  const avg = (row: Row, f: (m: Measure) => number) => mean(row.rounds.map(f));
  for (const c of report.cases) {
    for (const row of c.rows.filter((r) => r.reference !== undefined)) {
      const base = c.rows.find((r) => r.server === row.reference);
      const ratio = (f: (m: Measure) => number) => (base ? (avg(row, f) / avg(base, f)).toFixed(2) : '—');
      const cpu = avg(row, (m) => m.cpuUs);
      const known = row.rounds.every((m) => m.databaseCpuUs !== undefined);
      const database = known ? avg(row, (m) => m.databaseCpuUs!) : undefined;
      if (base && !out.some((line) => line.startsWith(`| ${c.title} | ${base.server} |`))) {
        const p99 = avg(base, (m) => m.p99).toFixed(0);
        out.push(
          `| ${c.title} | ${base.server} | ${Math.round(avg(base, (m) => m.rps))} | 1.00 | ${p99} | 1.00 | ${avg(base, (m) => m.cpuUs).toFixed(0)} | in the server | ${avg(base, (m) => m.cpuUs).toFixed(0)} |`,
        );
      }
      out.push(
        `| ${c.title} | ${row.server} | ${Math.round(avg(row, (m) => m.rps))} | ${ratio((m) => m.rps)} | ${avg(row, (m) => m.p99).toFixed(0)} | ${ratio((m) => m.p99)} | ${cpu.toFixed(0)} | ${database === undefined ? '—' : database.toFixed(0)} | ${database === undefined ? '—' : (cpu + database).toFixed(0)} |`,
      );
    }
  }
  if (out.length === 0) return '';
  return [
    "On PostgreSQL beside SQLite: each row against the same build on SQLite. Database CPU is that of the PostgreSQL backends serving the server's connections (`/proc`), per request.",
    '',
    '| case | server | req/s | × SQLite | p99 ms | p99 × SQLite | server CPU µs/req | database CPU µs/req | server + database CPU µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...out,
  ].join('\n');
}

/**
 * `before` against `after` (two Latchkey rows of one run, e.g. `--compare main` and this checkout):
 * server CPU per request for each case, start to first answer, idle and peak RSS, with the ratios.
 */
export function comparison(report: Report, before: string, after: string): string {
  const out = [
    `Side by side: **${after}** against **${before}** (after / before; lower is better).`,
    '',
    `| measure | ${before} | ${after} | after / before |`,
    '| --- | ---: | ---: | ---: |',
  ];
  const line = (name: string, a: number | undefined, b: number | undefined, unit: (x: number) => string) => {
    if (a === undefined || b === undefined) return;
    out.push(`| ${name} | ${unit(a)} | ${unit(b)} | ${a > 0 ? (b / a).toFixed(2) : '—'} |`);
  };
  for (const c of report.cases) {
    const cpu = (server: string) => {
      const row = c.rows.find((r) => r.server === server);
      return row ? mean(row.rounds.map((x) => x.cpuUs)) : undefined;
    };
    line(`${c.title}: server CPU µs/req`, cpu(before), cpu(after), (x) => x.toFixed(0));
  }
  const server = (name: string) => report.servers.find((s) => s.server === name);
  const [a, b] = [server(before), server(after)];
  line('start → first answer, ms', a?.startMs, b?.startMs, (x) => x.toFixed(0));
  line('idle RSS, MB', a?.idleRss, b?.idleRss, mb);
  line('peak RSS, MB', a?.peakRss, b?.peakRss, mb);
  return out.join('\n');
}

/** Replaces the text between the bench markers in bench/README.md (or `file`). */
export function writeReadme(text: string, file = join(root, 'bench/README.md')): void {
  const readme = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`bench/README.md has no ${start} … ${end} markers`);
  writeFileSync(file, `${readme.slice(0, a + start.length)}\n${text}\n${readme.slice(b)}`);
}
