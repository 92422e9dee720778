import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertBuilt, bin } from '../helpers/dist.ts';
import { freePort } from '../helpers/latchkey.ts';

// DESIGN.md "Operating it": a start that cannot reach the database says which host and why in one
// line, and never prints the password of the URL it was given.

async function latchkey(args: string[], env: Record<string, string>) {
  assertBuilt();
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, LATCHKEY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('a database that does not answer', () => {
  for (const args of [
    ['serve'],
    ['serve', '--workers', '2'],
    ['org', 'create', '--name', 'Acme'],
    ['migrate'],
  ]) {
    it(`latchkey ${args.join(' ')}: exits with one line naming host:port and the cause`, async () => {
      const port = await freePort(); // free: nothing listens there
      const { code, stdout, stderr } = await latchkey(args, {
        PORT: String(await freePort()),
        LATCHKEY_DATABASE: `postgres://latchkey:s3cret-pw@127.0.0.1:${port}/latchkey`,
      });
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `latchkey: The database (PostgreSQL at 127.0.0.1:${port}) is unavailable: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      );
    });
  }

  it('names a host that does not resolve, and a database that does not exist', async () => {
    const unresolved = await latchkey(['serve'], {
      LATCHKEY_DATABASE: 'postgres://latchkey:s3cret-pw@no-such-host.invalid:6543/latchkey',
    });
    expect(unresolved.code).not.toBe(0);
    expect(unresolved.stderr).toMatch(
      /^latchkey: The database \(PostgreSQL at no-such-host\.invalid:6543\) is unavailable: getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid\n$/,
    );

    const missing = await latchkey(['serve'], {
      LATCHKEY_DATABASE: 'postgres://postgres@127.0.0.1:5432/latchkey_no_such_database',
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toBe(
      'latchkey: The database (PostgreSQL at 127.0.0.1:5432) is unavailable: 3D000: database "latchkey_no_such_database" does not exist\n',
    );
  });
});
