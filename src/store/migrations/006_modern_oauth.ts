import type { Kysely } from 'kysely';

/**
 * Modern OAuth: private_key_jwt keys (RFC 7523), per-client PAR and DPoP requirements (RFC 9126,
 * RFC 9449), resource indicators carried from the authorization request to the tokens (RFC 8707),
 * DPoP-bound refresh tokens, pushed authorization requests, one-time values (assertion and proof
 * `jti`s, DPoP nonces) shared by every instance, and leaked secrets. Portable DDL only (as 001).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const addColumns = async (
    table: string,
    columns: [string, 'text' | 'integer' | 'bigint', boolean][],
  ): Promise<void> => {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    for (const [name, type, flag] of columns) {
      await db.schema
        .alterTable(table)
        .addColumn(name, type, (c) => (flag ? c.notNull().defaultTo(0) : c))
        .execute();
    }
  };
  await addColumns('clients', [
    // A JSON Web Key Set (JSON text) or its URL: the client authenticates with private_key_jwt.
    ['jwks', 'text', false],
    ['jwks_uri', 'text', false],
    ['require_par', 'integer', true],
    ['require_dpop', 'integer', true],
  ]);
  await addColumns('authorization_requests', [['resource', 'text', false]]);
  await addColumns('authorization_codes', [['resource', 'text', false]]);
  await addColumns('refresh_tokens', [
    ['resource', 'text', false],
    // RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key (JWK SHA-256 thumbprint).
    ['dpop_jkt', 'text', false],
  ]);
  await addColumns('client_secrets', [['leaked_at', 'bigint', false]]);

  // RFC 9126 §2.2: a pushed request, found by the SHA-256 of its request_uri, used once.
  await db.schema
    .createTable('pushed_requests')
    .addColumn('uri_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id').onDelete('cascade'))
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pushed_requests_expires').on('pushed_requests').column('expires_at').execute();

  // Values that may be seen once (a `jti`) or must have been handed out (a nonce), until they expire.
  await db.schema
    .createTable('seen_values')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('seen_values_expires').on('seen_values').column('expires_at').execute();
}
