import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertBuilt, root } from './dist.ts';

const run = promisify(execFile);
/** npm as a user runs it: no audit, no funding notes, no update check, quiet. */
const npmEnv = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};

/** What `npm pack --json` says of one tarball. */
export interface Packed {
  tarball: string;
  files: { path: string }[];
}

/**
 * `npm pack` of the repository (`workspace` undefined) or of one workspace package, into a fresh
 * folder. Packs what `npm run build` made (checked fresh), so no build runs here.
 */
export async function pack(workspace?: string): Promise<Packed & { dir: string }> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-pack-'));
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', dir];
  if (workspace) args.push('--workspace', workspace);
  const { stdout } = await run('npm', args, { cwd: root, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  return { dir, tarball: join(dir, packed!.filename), files: packed!.files };
}

/**
 * An empty project that installs `tarball` the way its README says: `npm install <tarball>`.
 * Packages come from npm's cache where it has them (--prefer-offline), else from the registry.
 * `ignoreScripts` skips install scripts (native builds) a test does not need.
 */
export async function installInEmptyProject(tarball: string, options: { ignoreScripts?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-install-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const args = ['install', '--prefer-offline', tarball];
  if (options.ignoreScripts) args.push('--ignore-scripts');
  await run('npm', args, { cwd: dir, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
  return {
    dir,
    /** The packages in the project's node_modules (`@scope/name` for scoped ones), sorted. */
    packages(): string[] {
      const modules = join(dir, 'node_modules');
      return readdirSync(modules)
        .filter((name) => !name.startsWith('.'))
        .flatMap((name) =>
          name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
        )
        .sort();
    },
    /** Bytes of every file under node_modules. */
    bytes(): number {
      return sizeOf(join(dir, 'node_modules'));
    },
    /** Runs an ES module in the project (imports resolve from its node_modules); resolves with stdout. */
    async node(source: string, env: Record<string, string> = {}): Promise<string> {
      const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', source], {
        cwd: dir,
        env: { ...process.env, ...env },
      });
      return stdout;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
