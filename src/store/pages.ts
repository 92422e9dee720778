import { type Expression, type SqlBool, sql } from 'kysely';
import type { Cursor, Page } from '../oauth/model/pages.ts';

/**
 * `(created_at, id) > (…)` (or `<` walking newest first): a row-value comparison, which SQLite and
 * PostgreSQL both evaluate with the same order as ORDER BY created_at, id.
 */
export function afterCursor(
  table: string,
  after: Cursor,
  options: { idColumn?: string; descending?: boolean } = {},
): Expression<SqlBool> {
  const created = sql.ref(`${table}.created_at`);
  const id = sql.ref(`${table}.${options.idColumn ?? 'id'}`);
  return sql<SqlBool>`(${created}, ${id}) ${sql.raw(options.descending ? '<' : '>')} (${after.createdAt}, ${after.id})`;
}

/** Rows were fetched with `limit + 1`: the extra one only says that a next page exists. */
export function toPage<T>(rows: T[], limit: number, key: (item: T) => Cursor): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, next: key(items[items.length - 1]!) };
}
