import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bearerAuth, createVerifier } from '@latchkey/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, variableNames } from '../../src/config/index.ts';
import { assertBuilt, bin, root } from '../helpers/dist.ts';
import { requestToken, startLatchkey } from '../helpers/latchkey.ts';

// The docs are read as a user reads them: each command pasted, each variable set, each answer expected.
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const docs = ['README.md', 'docs/deploy.md', 'docs/platform.md', 'examples/README.md'];

/** Shell code of a Markdown file: its sh (or unlabelled) fenced blocks and its inline code spans. */
function shellCode(markdown: string): string[] {
  const code: string[] = [];
  const prose = markdown.replace(/^ *```(\w*)\n([\s\S]*?)^ *```/gm, (_, lang: string, body: string) => {
    if (['', 'sh', 'bash', 'shell'].includes(lang)) code.push(...body.replace(/\\\n/g, ' ').split('\n'));
    return '';
  });
  for (const span of prose.matchAll(/`([^`\n]+)`/g)) code.push(span[1]!);
  return code;
}

/** A line of shell as pipelines' commands, each a list of words (quotes, $(…), # comments). */
function commandsOf(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) commands.at(-1)!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) end();
    else if (c === '#' && word === undefined) break;
    else if (c === '|' || c === ';' || (c === '&' && line[i + 1] === '&')) {
      end();
      if (c === '&') i++;
      commands.push([]);
    } else if (c === "'" || c === '"') {
      // An unclosed quote (a command continued on the next line) runs to the end of the line.
      const close = line.indexOf(c, i + 1) < 0 ? line.length : line.indexOf(c, i + 1);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (c === '$' && line[i + 1] === '(') {
      const close = line.indexOf(')', i) < 0 ? line.length : line.indexOf(')', i);
      word = (word ?? '') + line.slice(i, close + 1);
      i = close;
    } else word = (word ?? '') + c;
  }
  end();
  return commands.filter((command) => command.length > 0);
}

/** The arguments after `latchkey` (npx latchkey, node bin/latchkey.mjs), or undefined for another program. */
function latchkeyArgs(command: string[]): string[] | undefined {
  const words = command.slice(command.findIndex((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)));
  if (words[0] === 'npx' && words[1] === 'latchkey') return words.slice(2);
  if (words[0] === 'node' && words[1] === 'bin/latchkey.mjs') return words.slice(2);
  if (words[0] === 'latchkey') return words.slice(1);
  return undefined;
}

interface Help {
  commands: string[];
  /** Option name → whether it takes a value. */
  options: Map<string, boolean>;
  required: number;
  optional: number;
}

const helps = new Map<string, Promise<Help>>();
/** `latchkey PATH --help`, as commander prints it. */
function help(path: string[]): Promise<Help> {
  const key = path.join(' ');
  if (!helps.has(key)) {
    const parsed = promisify(execFile)(process.execPath, [bin, ...path, '--help']).then(({ stdout }) => {
      const section = (name: string) => stdout.split(`\n${name}:\n`)[1]?.split('\n\n')[0] ?? '';
      const usage = /^Usage: latchkey(.*)$/m.exec(stdout)![1]!;
      return {
        commands: [...section('Commands').matchAll(/^ {2}([a-z][\w-]*)/gm)]
          .map((m) => m[1]!)
          .filter((name) => name !== 'help'),
        options: new Map(
          [...section('Options').matchAll(/^ {2}(?:-\w, )?(--[\w-]+)( [<[])?/gm)].map((m) => [m[1]!, !!m[2]]),
        ),
        required: usage.match(/<[^>]+>/g)?.length ?? 0,
        optional: (usage.match(/\[[^\]]+\]/g) ?? []).filter((a) => a !== '[options]' && a !== '[command]')
          .length,
      };
    });
    helps.set(key, parsed);
  }
  return helps.get(key)!;
}

/** What is wrong with `latchkey ARGS` by the CLI's own help, or undefined when it is a real command. */
async function problemWith(args: string[]): Promise<string | undefined> {
  const words = args.filter((w) => w !== '…');
  if (words.length === 0) return undefined; // `npx latchkey …`: the CLI as a whole
  const path: string[] = [];
  let h = await help(path);
  while (words.length > 0 && h.commands.includes(words[0]!)) {
    path.push(words.shift()!);
    h = await help(path);
  }
  if (h.commands.length > 0) return `${words[0] ?? 'nothing'} is not a command of latchkey ${path.join(' ')}`;
  let positional = 0;
  for (let i = 0; i < words.length; i++) {
    const [name, value] = words[i]!.split('=');
    if (!name!.startsWith('--')) positional++;
    else if (!h.options.has(name!)) return `latchkey ${path.join(' ')} has no option ${name}`;
    else if (h.options.get(name!) && value === undefined) i++;
  }
  if (positional < h.required || positional > h.required + h.optional)
    return `latchkey ${path.join(' ')} takes ${h.required} argument(s), not ${positional}`;
  return undefined;
}

/** Programs that feed a latchkey command or read its output in a pipeline. */
const pipedPrograms = new Set(['echo', 'printf', 'cat', 'jq']);

describe('the commands in the docs', { timeout: 120_000 }, () => {
  beforeAll(assertBuilt);

  it('are commands of the CLI with options it has, each on its own line (README.md, docs/, examples/)', async () => {
    const problems: string[] = [];
    let fromReadme = 0;
    for (const file of docs) {
      for (const code of shellCode(read(file))) {
        const line = code.replace(/\s+#.*$/, '').trim();
        const commands = commandsOf(line);
        if (!commands.some((c) => latchkeyArgs(c))) continue;
        for (const command of commands) {
          const args = latchkeyArgs(command);
          if (!args) {
            if (!pipedPrograms.has(command[0]!))
              problems.push(`${file}: \`${line}\`: ${command[0]} is not a program`);
            continue;
          }
          if (file === 'README.md') fromReadme++;
          const problem = await problemWith(args);
          if (problem) problems.push(`${file}: \`${line}\`: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(fromReadme).toBeGreaterThan(15);
  });
});

/** The backticked names in the first column of the first table under `heading`. */
function tableVariables(file: string, heading: string): string[] {
  const text = read(file);
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `${file} has a section ${heading}`).toBeGreaterThan(-1);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows = lines.slice(
    first + 2,
    lines.findIndex((l, i) => i > first && !l.startsWith('|')),
  );
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

/** Every LATCHKEY_* name src/ reads from the environment outside the configuration schema. */
function readDirectly(): string[] {
  const names = new Set<string>();
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name)) continue;
    const source = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of source.matchAll(/\benv(?:\.|\[['"`])(LATCHKEY_[A-Z0-9_]+)/g)) names.add(m[1]!);
  }
  return [...names];
}

describe('the variables in the docs', () => {
  const used = [...new Set([...variableNames, ...readDirectly()])].sort();

  it('README.md "Running it" and docs/deploy.md "Variables" list exactly the variables Latchkey reads, by full name', () => {
    expect(used).toContain('LATCHKEY_REFRESH_TOKEN_ABSOLUTE_TTL');
    expect([...new Set(tableVariables('README.md', '## Running it'))].sort()).toEqual(used);
    expect([...new Set(tableVariables('docs/deploy.md', '## Variables'))].sort()).toEqual(used);
  });

  it('examples/platform-sign-in.env sets only those, and is a configuration Latchkey accepts', () => {
    const env = Object.fromEntries(
      read('examples/platform-sign-in.env')
        .split('\n')
        .filter((line) => /^[A-Z]/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(env).filter((name) => !used.includes(name))).toEqual([]);
    const config = loadConfig(env);
    expect(config.loginOidc?.orgsClaim).toBe('orgs');
    expect(config.passwordLogin).toBe(false);
  });
});

/** The inline code spans of a Markdown file that are JSON objects. */
const jsonSpans = (file: string): Record<string, unknown>[] =>
  [...read(file).matchAll(/`(\{[^`\n]*\})`/g)].flatMap((m) => {
    try {
      return [JSON.parse(m[1]!)];
    } catch {
      return [];
    }
  });

describe('the answers in the docs', () => {
  it('docs/platform.md shows the validation problem the admin API answers', async () => {
    const [shown] = jsonSpans('docs/platform.md').filter((j) => j.status === 400 && 'errors' in j);
    expect(shown).toBeDefined();
    const lk = await startLatchkey();
    try {
      const admin = await lk.createClient({ grants: ['client_credentials'], scopes: ['latchkey:admin'] });
      const { access_token } = await (await requestToken(lk.issuer, admin)).json();
      const r = await fetch(`${lk.issuer}/admin/v1/organizations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: '' }),
      });
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await r.json()).toEqual(shown);
    } finally {
      await lk.close();
    }
  });

  it('examples/README.md shows what latchkey/verify answers a request without a token', async () => {
    const shown = jsonSpans('examples/README.md').filter((j) => j.error_description === 'no Bearer token');
    expect(shown.length).toBeGreaterThan(0);
    const guard = bearerAuth(createVerifier({ issuer: 'http://127.0.0.1:9', audience: 'api' }), {
      realm: 'invoices-api',
    });
    const server = createServer((req, res) => guard(req, res, () => res.end('not reached')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/invoices`);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="invoices-api"');
      const body = await r.json();
      for (const json of shown) expect(json).toEqual(body);
    } finally {
      server.close();
    }
  });
});
