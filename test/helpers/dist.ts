import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The bin runs the compiled dist/, not src/: tests that spawn it would otherwise test whatever was
 * built last. Fails with the command to run when dist/ is missing or older than a file in src/.
 */
export const root = join(import.meta.dirname, '../..');
export const bin = join(root, 'bin/latchkey.mjs');

export function assertBuilt(): void {
  const stamp = join(root, 'dist/.built');
  if (!existsSync(stamp))
    throw new Error('dist/ is not built: run `npm run build` (`npm test` does it first)');
  const built = statSync(stamp).mtimeMs;
  // The server's sources and the workspace packages' (scripts/build.mjs builds both).
  for (const src of ['src', 'packages/client/src', 'packages/verify/src'].map((path) => join(root, path))) {
    for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      if (statSync(file).mtimeMs > built) {
        throw new Error(`dist/ is older than ${file}: run \`npm run build\` (\`npm test\` does it first)`);
      }
    }
  }
}

/** The demo client a fresh development store's `latchkey serve` prints (its curl line), from its output. */
export function seededClient(output: string): { clientId: string; clientSecret: string } {
  const curl = /curl -s -u '([^:]+):([^']+)'/.exec(output);
  if (!curl) throw new Error(`no seeded client in the output:\n${output}`);
  return { clientId: curl[1]!, clientSecret: curl[2]! };
}

/** A `latchkey serve` of the compiled dist/, with everything it writes to stdout and stderr. */
export interface ServedBin {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `re` matches it `times` times; rejects if the process exits first. */
  waitFor(re: RegExp, times?: number): Promise<string>;
}

/** Spawns `latchkey serve …args` from dist/ with `env` over this process's environment. */
export function serveBuilt(env: NodeJS.ProcessEnv, args: string[] = []): ServedBin {
  assertBuilt();
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const waitFor = (re: RegExp, times = 1) =>
    new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        if ((out.match(new RegExp(re, 'g')) ?? []).length >= times) {
          clearInterval(timer);
          resolve(out);
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`exited ${child.exitCode}: ${out}`));
        }
      }, 50);
    });
  return { child, output: () => out, waitFor };
}

/**
 * `latchkey serve` from a copy of the package in `cwd` (bin/, dist/, node_modules), as the image runs
 * it, with `env` over this process's environment. Resolves once it listens, with its listening line.
 */
export async function serveCopy(cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['bin/latchkey.mjs', 'serve'], {
    cwd,
    env: { ...process.env, PORT: '0', LATCHKEY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  const listening = await new Promise<{ url: string }>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('"msg":"latchkey listening"'));
      if (line) resolve(JSON.parse(line));
    });
    exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { url: listening.url, output: () => out, stop };
}
