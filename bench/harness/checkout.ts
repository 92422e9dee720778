// `npm run bench -- --compare REF-OR-DIR`: another build of Latchkey to run beside this one. A
// directory is taken as it is (built); anything else is a git ref, checked out into a temporary
// worktree and built there, as `npm ci` would build it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const root = join(import.meta.dirname, '../..');

export interface Checkout {
  dir: string;
  /** For the tables: the directory's name, or the ref and its commit. */
  name: string;
  remove(): void;
}

export function checkoutOf(refOrDir: string, log: (line: string) => void): Checkout {
  if (existsSync(refOrDir) && statSync(refOrDir).isDirectory()) {
    return { dir: resolve(refOrDir), name: basename(resolve(refOrDir)), remove: () => {} };
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  let commit: string;
  try {
    commit = git('rev-parse', '--verify', '--quiet', `${refOrDir}^{commit}`);
  } catch {
    throw new Error(`--compare ${refOrDir}: neither a directory nor a git ref of this repository`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-compare-'));
  const remove = () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  log(`--compare ${refOrDir}: ${commit.slice(0, 7)} into ${dir}, building`);
  git('worktree', 'add', '--detach', dir, commit);
  try {
    const npm = (...args: string[]) =>
      execFileSync('npm', args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    // The same dependencies: this checkout's node_modules serve both; otherwise its own `npm ci`.
    if (
      readFileSync(join(dir, 'package-lock.json'), 'utf8') ===
      readFileSync(join(root, 'package-lock.json'), 'utf8')
    ) {
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
      npm('run', 'build');
    } else {
      npm('ci', '--no-audit', '--no-fund', '--prefer-offline');
    }
  } catch (error) {
    remove();
    throw error;
  }
  const name = commit.startsWith(refOrDir) ? refOrDir : `${refOrDir} (${commit.slice(0, 7)})`;
  return { dir, name, remove };
}

/**
 * NODE_OPTIONS of a checkout's production image (its Dockerfile), with which the bench starts it: each
 * build runs as its image runs it. Empty where the image sets none.
 */
export function imageNodeOptions(dir: string): string {
  const file = join(dir, 'Dockerfile');
  if (!existsSync(file)) return '';
  const match = /\bNODE_OPTIONS=(?:"([^"]*)"|(\S+))/.exec(readFileSync(file, 'utf8'));
  return match ? (match[1] ?? match[2] ?? '') : '';
}
