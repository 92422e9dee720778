// A code exchange and a refresh read their code or token inside the write transaction of the turn's
// group commit (src/store/codes.ts redeem, refresh-tokens.ts rotate), not in a read transaction of
// their own before it: on a real SQLite file, the statements the connection ran, in order.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import type { NewRefreshToken } from '../../src/oauth/model/refresh-tokens.ts';
import { codeRepository } from '../../src/store/codes.ts';
import { migrate } from '../../src/store/db.ts';
import { registerSqliteHandle } from '../../src/store/prepared.ts';
import { refreshTokenRepository } from '../../src/store/refresh-tokens.ts';
import type { Database } from '../../src/store/schema.ts';

let sqlite: SQLite.Database;
let db: Kysely<Database>;
/** Every statement the connection ran, as better-sqlite3's `verbose` hook reports them. */
let statements: string[];
const at = 1_000;

beforeEach(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'latchkey-read-in-tx-')), 'db.sqlite');
  sqlite = new SQLite(file, { verbose: (text) => statements?.push(String(text)) });
  sqlite.pragma('journal_mode = WAL');
  // No foreign keys on this connection: the grant needs no client, user or organization.
  sqlite.pragma('foreign_keys = OFF');
  db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  registerSqliteHandle(db, sqlite);
  await migrate(db);
  sqlite
    .prepare(
      "insert into grants (id, client_id, user_id, org_id, scope, created_at) values ('g', 'c', 'u', 'o', 'read', 0)",
    )
    .run();
  statements = [];
});
afterEach(() => db.destroy());

/** Each statement as its verb and the table it works on: `BEGIN`, `select authorization_codes`, … */
const steps = () =>
  statements.map((s) => {
    if (/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/.test(s)) return s.split(' ')[0]!;
    const m = /^(\w+)\s+(?:.*?\b(?:from|into)\s+)?"?(\w+)/is.exec(s);
    return m ? `${m[1]!.toLowerCase()} ${m[2]}` : s;
  });

const nextToken = (family: string): NewRefreshToken => ({
  tokenHash: sha256(`token ${family} ${Math.random()}`),
  familyId: family,
  clientId: 'c',
  grantId: 'g',
  userId: 'u',
  orgId: 'o',
  scope: 'read',
  createdAt: at,
  expiresAt: at + 60_000,
  familyExpiresAt: at + 120_000,
});

describe('reads inside the write transaction (SQLite)', () => {
  it('redeems a code with one transaction: the code read, consumed, its grant touched, a token stored', async () => {
    const codes = codeRepository(db);
    const code = {
      codeHash: sha256('code'),
      clientId: 'c',
      grantId: 'g',
      userId: 'u',
      orgId: 'o',
      redirectUri: 'https://app.example/cb',
      redirectUriSent: false,
      scope: 'read',
      codeChallenge: null,
      expiresAt: at + 60_000,
      createdAt: at,
    };
    await codes.create(code);
    statements.length = 0;
    const redeemed = await codes.redeem(code.codeHash, at, () => ({ refreshToken: nextToken('f1') }));
    expect(redeemed.outcome).toBe('redeemed');
    expect(steps()).toEqual([
      'BEGIN',
      'SAVEPOINT',
      'select authorization_codes',
      'update authorization_codes',
      'update grants',
      'insert refresh_tokens',
      'RELEASE',
      'COMMIT',
    ]);
  });

  it('rotates a refresh token with one transaction, and a refused one writes nothing', async () => {
    const tokens = refreshTokenRepository(db);
    const old = nextToken('f2');
    await tokens.create(old);
    statements.length = 0;
    const refused = await tokens.rotate(old.tokenHash, at, () => {
      throw new Error('refused');
    });
    expect(refused.outcome).toBe('refused');
    expect(steps()).toEqual(['BEGIN', 'SAVEPOINT', 'select refresh_tokens', 'RELEASE', 'COMMIT']);

    statements.length = 0;
    const rotated = await tokens.rotate(old.tokenHash, at, () => ({ next: nextToken('f2') }));
    expect(rotated.outcome).toBe('rotated');
    expect(steps()).toEqual([
      'BEGIN',
      'SAVEPOINT',
      'select refresh_tokens',
      'update grants',
      'update refresh_tokens',
      'insert refresh_tokens',
      'RELEASE',
      'COMMIT',
    ]);
  });
});
