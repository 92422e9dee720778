import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../clock.ts';
import type {
  Client,
  ClientOrigin,
  ClientRepository,
  ClientSecret,
  DocumentClient,
} from '../oauth/model/clients.ts';
import { afterCursor, toPage } from './pages.ts';
import { arg, prepare } from './prepared.ts';
import type { Database } from './schema.ts';

type ClientRow = Selectable<Database['clients']>;

const toClient = (r: ClientRow): Client => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  redirectUris: JSON.parse(r.redirect_uris),
  grantTypes: JSON.parse(r.grant_types),
  scopes: JSON.parse(r.scopes),
  isPublic: r.is_public === 1,
  pkceOptional: r.pkce_optional === 1,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  jwks: r.jwks === null ? null : JSON.parse(r.jwks),
  jwksUri: r.jwks_uri,
  requirePar: r.require_par === 1,
  requireDpop: r.require_dpop === 1,
  postLogoutRedirectUris: r.post_logout_redirect_uris ? JSON.parse(r.post_logout_redirect_uris) : [],
  origin: r.origin as ClientOrigin,
  blockedAt: r.blocked_at ?? null,
  softwareMetadata: r.software_metadata ? JSON.parse(r.software_metadata) : null,
  ...(r.metadata_expires_at != null && { metadataExpiresAt: r.metadata_expires_at }),
});

/**
 * What every registration says of a client, as columns: `create` writes them, `saveDocumentClient`
 * writes and compares them.
 */
const registrationColumns = (c: DocumentClient) => ({
  name: c.name,
  redirect_uris: JSON.stringify(c.redirectUris),
  grant_types: JSON.stringify(c.grantTypes),
  scopes: JSON.stringify(c.scopes),
  is_public: c.isPublic ? 1 : 0,
  jwks: c.jwks ? JSON.stringify(c.jwks) : null,
  jwks_uri: c.jwksUri ?? null,
  require_par: c.requirePar ? 1 : 0,
  require_dpop: c.requireDpop ? 1 : 0,
  post_logout_redirect_uris: JSON.stringify(c.postLogoutRedirectUris ?? []),
  software_metadata: c.softwareMetadata ? JSON.stringify(c.softwareMetadata) : null,
});

const toSecret = (r: Database['client_secrets']): ClientSecret => ({
  id: r.id,
  clientId: r.client_id,
  secretHash: r.secret_hash,
  hint: r.hint,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  createdBy: r.created_by,
  ...(r.leaked_at !== null && { leakedAt: r.leaked_at }),
});

export function clientRepository(db: Kysely<Database>, clock: Clock): ClientRepository {
  const secretsWhere = (op: '=' | 'in', value: string | string[]) =>
    db
      .selectFrom('client_secrets')
      .selectAll()
      .where('client_id', op, value)
      .orderBy('created_at', 'desc')
      .orderBy('id');
  // The token endpoint's lookups, compiled once (prepared.ts). `selectAll`: every column, so the
  // rows are the ones the Kysely queries read (jwks, require_par, require_dpop, leaked_at, …).
  const findById = prepare(db, () => db.selectFrom('clients').selectAll().where('id', '=', arg<string>(0)));
  const secretsById = prepare(db, () => secretsWhere('=', arg<string>(0)));
  const touch = prepare(db, () =>
    db
      .updateTable('client_secrets')
      .set({ last_used_at: arg<number>(1) })
      .where('id', '=', arg<string>(0)),
  );
  return {
    async create(client) {
      const now = clock();
      await db
        .insertInto('clients')
        .values({
          id: client.id,
          org_id: client.orgId,
          ...registrationColumns(client),
          pkce_optional: client.pkceOptional ? 1 : 0,
          created_by: client.createdBy,
          created_at: now,
          updated_at: now,
          origin: client.origin ?? 'console',
          registration_token_hash: client.registrationTokenHash ?? null,
        })
        .execute();
      const { registrationTokenHash: _, ...fields } = client;
      return {
        ...fields,
        origin: client.origin ?? 'console',
        blockedAt: null,
        softwareMetadata: client.softwareMetadata ?? null,
        jwks: client.jwks ?? null,
        jwksUri: client.jwksUri ?? null,
        requirePar: client.requirePar ?? false,
        requireDpop: client.requireDpop ?? false,
        postLogoutRedirectUris: client.postLogoutRedirectUris ?? [],
        createdAt: now,
        updatedAt: now,
      };
    },
    async find(id) {
      const [r] = (await findById(id)).rows;
      return r && toClient(r);
    },
    async findByRegistrationToken(tokenHash) {
      const r = await db
        .selectFrom('clients')
        .selectAll()
        .where('registration_token_hash', '=', tokenHash)
        .executeTakeFirst();
      return r && toClient(r);
    },
    async findMany(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('clients')
        .selectAll()
        .where('id', 'in', [...ids])
        .execute();
      return rows.map(toClient);
    },
    async list(orgId) {
      let q = db.selectFrom('clients').selectAll().orderBy('created_at', 'desc').orderBy('id');
      if (orgId) q = q.where('org_id', '=', orgId);
      return (await q.execute()).map(toClient);
    },
    async page(orgId, { limit, after }) {
      let q = db
        .selectFrom('clients')
        .selectAll()
        .where('org_id', orgId === null ? 'is' : '=', orgId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit + 1);
      if (after) q = q.where(afterCursor('clients', after));
      return toPage((await q.execute()).map(toClient), limit, (c) => ({ createdAt: c.createdAt, id: c.id }));
    },
    async update(id, u) {
      await db
        .updateTable('clients')
        .set({
          ...(u.name !== undefined && { name: u.name }),
          ...(u.redirectUris && { redirect_uris: JSON.stringify(u.redirectUris) }),
          ...(u.grantTypes && { grant_types: JSON.stringify(u.grantTypes) }),
          ...(u.scopes && { scopes: JSON.stringify(u.scopes) }),
          ...(u.pkceOptional !== undefined && { pkce_optional: u.pkceOptional ? 1 : 0 }),
          ...(u.isPublic !== undefined && { is_public: u.isPublic ? 1 : 0 }),
          ...(u.softwareMetadata !== undefined && {
            software_metadata: u.softwareMetadata ? JSON.stringify(u.softwareMetadata) : null,
          }),
          ...(u.jwks !== undefined && { jwks: u.jwks ? JSON.stringify(u.jwks) : null }),
          ...(u.jwksUri !== undefined && { jwks_uri: u.jwksUri }),
          ...(u.requirePar !== undefined && { require_par: u.requirePar ? 1 : 0 }),
          ...(u.requireDpop !== undefined && { require_dpop: u.requireDpop ? 1 : 0 }),
          ...(u.postLogoutRedirectUris && {
            post_logout_redirect_uris: JSON.stringify(u.postLogoutRedirectUris),
          }),
          updated_at: clock(),
        })
        .where('id', '=', id)
        .execute();
    },
    async saveDocumentClient(client, expiresAt) {
      const now = clock();
      const columns = registrationColumns(client);
      const [before] = (await findById(client.id)).rows;
      const changed =
        before === undefined ||
        (before.origin === 'metadata_document' &&
          Object.entries(columns).some(([name, value]) => before[name as keyof ClientRow] !== value));
      await db
        .insertInto('clients')
        .values({
          id: client.id,
          org_id: null,
          ...columns,
          pkce_optional: 0,
          created_by: null,
          created_at: now,
          updated_at: now,
          origin: 'metadata_document',
          metadata_expires_at: expiresAt,
        })
        // Two instances may fetch the same document at once: the later write wins, both valid.
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet({ ...columns, metadata_expires_at: expiresAt, ...(changed && { updated_at: now }) })
            .where('clients.origin', '=', 'metadata_document'),
        )
        .execute();
      const [after] = (await findById(client.id)).rows;
      return { client: toClient(after!), changed };
    },
    async block(id, at) {
      const r = await db
        .updateTable('clients')
        .set({ blocked_at: at, updated_at: at })
        .where('id', '=', id)
        .where('blocked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(id) {
      const r = await db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async addSecret(s) {
      await db
        .insertInto('client_secrets')
        .values({
          id: s.id,
          client_id: s.clientId,
          secret_hash: s.secretHash,
          hint: s.hint,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
          last_used_at: null,
          created_by: s.createdBy,
          leaked_at: null,
        })
        .execute();
    },
    async secrets(clientId) {
      return (await secretsById(clientId)).rows.map(toSecret);
    },
    async secretsOf(clientIds) {
      if (clientIds.length === 0) return [];
      return (await secretsWhere('in', [...clientIds]).execute()).map(toSecret);
    },
    async expireSecrets(clientId, at, keepId) {
      await db
        .updateTable('client_secrets')
        .set({ expires_at: at })
        .where('client_id', '=', clientId)
        .where('id', '!=', keepId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .execute();
    },
    async touchSecret(id, at) {
      await touch(id, at);
    },
  };
}
