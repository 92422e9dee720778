// DESIGN.md "Runtime and deployment": the maintained Node LTS lines, one way to build and run (the
// modules tsc wrote, nothing loaded through `vm`, no V8 flags set at run time), no native code of ours.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { unsupportedNode } from '../../src/cluster.ts';
import { bin, root, serveBuilt } from '../helpers/dist.ts';
import { freePort } from '../helpers/latchkey.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const semver = createRequire(import.meta.url)('semver') as { satisfies(v: string, range: string): boolean };
const onSupportedNode = Number(process.versions.node.split('.')[0]) >= 22;

describe('Node versions', () => {
  it('engines admits the maintained LTS lines (22, 24, 26), not Node 20', () => {
    const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const version of ['22.12.0', '24.0.0', '24.11.1', '26.0.0'])
      expect(semver.satisfies(version, engines.node), version).toBe(true);
    for (const version of ['18.20.0', '20.15.0', '20.19.5'])
      expect(semver.satisfies(version, engines.node), version).toBe(false);
  });

  it('calls Node 20 unsupported and the LTS lines supported', () => {
    expect(unsupportedNode('20.19.5')).toMatch(/^Node 20\.19\.5 is not supported/);
    for (const version of ['22.0.0', '24.11.1', '26.0.0']) expect(unsupportedNode(version)).toBeUndefined();
  });

  const lines = (out: string) => out.split('\n').filter((line) => line.includes('is not supported'));

  it(`starts, ${onSupportedNode ? 'without a warning' : 'with exactly one warning line'} on this Node (${process.version})`, async () => {
    for (const workers of [[], ['--workers', '2']]) {
      const port = await freePort();
      const env = { PORT: String(port), LATCHKEY_DATABASE: join(dir, `node-${workers.length}.sqlite`) };
      const server = serveBuilt(env, workers);
      try {
        // With workers, each says it listens: both are up, so every warning is written by now.
        const out = await server.waitFor(/latchkey listening/, workers.length ? 2 : 1);
        expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
        expect(lines(out)).toHaveLength(onSupportedNode ? 0 : 1);
      } finally {
        server.child.kill('SIGTERM');
        await new Promise((r) => server.child.once('exit', r));
      }
    }
  }, 120_000);
});

describe('one way to build and run', () => {
  it('names the TypeScript source file and line in the stack of an error thrown in the server', async () => {
    // A directory where the database file should be: SQLite's constructor throws.
    const r = await run(process.execPath, [bin, 'migrate'], {
      env: { ...process.env, LATCHKEY_DATABASE: dir },
      timeout: 60_000,
    }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(1);
    const source = readFileSync(join(root, 'src/store/db.ts'), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes('new SQLite(location)'));
    const column = source[line]!.indexOf('new SQLite') + 1;
    expect(r.stderr).toContain(`at openDatabase (${join(root, 'src/store/db.ts')}:${line + 1}:${column})`);
  });

  it('has no C of its own, no code loaded through vm, no code cache and no V8 flags set at run time', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n');
    expect(files.filter((f) => /\.(c|cc|cpp|h|gyp)$/.test(f))).toEqual([]);
    const code = files.filter((f) => /^(src|bin|scripts)\/.*\.(ts|tsx|mjs|js)$/.test(f));
    for (const file of code) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(text, file).not.toMatch(/setFlagsFromString|node:vm|vm\.Script|cachedData|prepareStackTrace/);
    }
  });
});
