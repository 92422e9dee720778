// The Dockerfile, deploy/compose.yaml and deploy/latchkey.service, checked without a container
// runtime (none works on these machines): the files they name exist in the repository, the image's
// build and install steps run in a clean copy of it, and what they leave starts and answers.
// Slow but bounded: one `npm ci` (about a minute; better-sqlite3 is not compiled, see below).
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { root, seededClient } from '../helpers/dist.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';
import { type Dockerfile, parseDockerfile } from './dockerfile.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dockerfile: Dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.stages.at(-1)!;
/** The repository's files as committed or staged: what `git clone` gives, with this tree's edits. */
const context = join(dir, 'context');
/** Each stage's file system: WORKDIR /app of stage `build` is `${dir}/stages/build/app`. */
const stageRoot = (name: string) => join(dir, 'stages', name);
const inStage = (name: string, path: string, workdir: string) =>
  join(stageRoot(name), path.startsWith('/') ? path : join(workdir, path));

/** RUN steps that only make sense inside the image (its users and paths); everything else runs here. */
const containerOnly = [/^mkdir -p \/data && chown node:node \/data$/];

/** The variables Latchkey reads: the keys of its configuration schema. */
const latchkeyVariables = new Set(
  [
    ...readFileSync(join(root, 'src/config/index.ts'), 'utf8').matchAll(/^ {2}(PORT|HOST|LATCHKEY_\w+):/gm),
  ].map((m) => m[1]!),
);

beforeAll(() => {
  for (const file of execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0')) {
    if (file && existsSync(join(root, file))) cpSync(join(root, file), join(context, file));
  }
});

describe('Dockerfile', () => {
  it('builds on a Node LTS image and runs as a non-root user, with a health check and NODE_OPTIONS', () => {
    for (const stage of dockerfile.stages) expect(stage.from).toMatch(/^node:(22|24|26)(-|$)/);
    const user = runtime.steps.filter((s) => s.instruction === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile.healthcheck).toContain('/readyz');
    expect(runtime.env.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
  });

  it('copies only files that are in the repository', () => {
    const sources = dockerfile.stages.flatMap((s) =>
      s.steps.filter((step) => step.instruction === 'COPY' && !step.from).flatMap((step) => step.sources!),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(join(context, source)), source).toBe(true);
  });

  it('runs its build and install steps in a clean copy, and the result serves', {
    timeout: 900_000,
  }, async () => {
    // better-sqlite3 downloads a prebuilt addon for the image's Node from GitHub; this machine reaches
    // only the npm registry, so its prebuild-install gets the one this checkout built, for this Node,
    // as a local prebuild (its own option) instead of compiling SQLite for minutes.
    const prebuilds = join(dir, 'prebuilds');
    const sqlitePackage = join(root, 'node_modules/better-sqlite3');
    const { version } = JSON.parse(readFileSync(join(sqlitePackage, 'package.json'), 'utf8'));
    mkdirSync(prebuilds);
    const tarball = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    execFileSync('tar', [
      '-C',
      sqlitePackage,
      '-czf',
      join(prebuilds, tarball),
      'build/Release/better_sqlite3.node',
    ]);
    const outside = {
      ...process.env,
      npm_config_better_sqlite3_local_prebuilds: prebuilds,
      npm_config_prefer_offline: 'true', // the packages from npm's cache when it has them
      npm_config_update_notifier: 'false',
    };

    for (const stage of dockerfile.stages) {
      let workdir = '/';
      for (const step of stage.steps) {
        if (step.instruction === 'WORKDIR') {
          workdir = step.args;
          mkdirSync(inStage(stage.name, workdir, '/'), { recursive: true });
        } else if (step.instruction === 'COPY') {
          for (const source of step.sources!) {
            const from = step.from ? inStage(step.from, source, '/') : join(context, source);
            const to = inStage(stage.name, step.destination!, workdir);
            const target = step.destination!.endsWith('/') ? join(to, source.split('/').at(-1)!) : to;
            mkdirSync(dirname(target), { recursive: true });
            // Links as they are, as COPY keeps them: node_modules/@latchkey/* point into packages/.
            cpSync(from, target, { recursive: true, verbatimSymlinks: true });
          }
        } else if (step.instruction === 'RUN') {
          if (containerOnly.some((re) => re.test(step.args))) continue;
          await run('sh', ['-c', step.args], {
            cwd: inStage(stage.name, workdir, '/'),
            env: { ...outside, ...stage.env },
            maxBuffer: 64 * 1024 * 1024,
          }).catch((error: { stdout: string; stderr: string }) => {
            throw new Error(`RUN ${step.args} failed:\n${error.stdout}\n${error.stderr}`);
          });
        }
      }
    }

    const app = inStage(runtime.name, runtime.workdir, '/');
    expect(existsSync(join(app, 'node_modules/typescript'))).toBe(false);
    const port = await freePort();
    const env = {
      ...process.env,
      ...runtime.env,
      // Where the image has its volume, and the one interface a test may listen on.
      LATCHKEY_DATABASE: join(dir, 'data/latchkey.sqlite'),
      HOST: '127.0.0.1',
      PORT: String(port),
      LATCHKEY_ENVIRONMENT: 'development', // seeds a client to ask a token for
    };
    const [command, ...args] = dockerfile.cmd;
    const server = execFile(command!, args, { cwd: app, env });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    server.stderr!.on('data', (d) => (out += d));
    const exited = new Promise((r) => server.once('exit', r));
    try {
      const ready = async (): Promise<Response> => {
        for (;;) {
          if (server.exitCode !== null) throw new Error(`the image's CMD exited: ${out}`);
          const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
          if (r) return r;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      expect((await ready()).status).toBe(200);
      const token = await requestToken(`http://127.0.0.1:${port}`, seededClient(out), { auth: 'basic' });
      expect(token.status).toBe(200);
      // The HEALTHCHECK's own command, as the container runtime would run it.
      const [check, ...checkArgs] = JSON.parse(dockerfile.healthcheck.replace(/^.*?CMD\s+/, '')) as string[];
      await expect(run(check!, checkArgs, { cwd: app, env })).resolves.toBeDefined();
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
  });
});

describe('deploy/compose.yaml', () => {
  const composeFile = join(root, 'deploy/compose.yaml');
  const compose = parseYaml(readFileSync(composeFile, 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        build?: { context: string; dockerfile?: string };
        environment?: Record<string, string>;
        volumes?: string[];
      }
    >;
  };

  it('builds from files in the repository, and mounts no host path that is not there', () => {
    const built = Object.values(compose.services).filter((s) => s.build);
    expect(built.length).toBe(3);
    for (const service of built) {
      const buildContext = resolve(dirname(composeFile), service.build!.context);
      expect(buildContext).toBe(root);
      expect(existsSync(join(context, service.build!.dockerfile ?? 'Dockerfile'))).toBe(true);
    }
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (/^[./]/.test(source))
          expect(existsSync(resolve(dirname(composeFile), source)), volume).toBe(true);
      }
    }
  });

  it("sets only variables Latchkey reads on Latchkey's instances", () => {
    const instances = Object.values(compose.services).filter((s) => s.build);
    for (const instance of instances) {
      const names = Object.keys(instance.environment ?? {});
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(latchkeyVariables.has(name), name).toBe(true);
    }
  });
});

describe('deploy/latchkey.service', () => {
  const unit = readFileSync(join(root, 'deploy/latchkey.service'), 'utf8');

  it("runs the bin with the image's NODE_OPTIONS", () => {
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/latchkey\/bin\/latchkey\.mjs serve/m);
    expect(existsSync(join(context, 'bin/latchkey.mjs'))).toBe(true);
    const options = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(unit);
    expect(options?.[1]).toBe(runtime.env.NODE_OPTIONS);
  });
});
