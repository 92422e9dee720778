import type { Cursor, Page } from '../oauth/model/pages.ts';
import { ProblemError } from './problems.ts';

export interface ListQuery {
  limit?: number;
  cursor?: string;
}

/** The cursor is opaque to callers: base64url of the last item's (created_at, id). */
export const encodeCursor = (c: Cursor): string =>
  Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (Number.isSafeInteger(createdAt) && typeof id === 'string') return { createdAt, id };
  } catch {
    // reported below
  }
  throw new ProblemError(
    400,
    'The cursor is not one this API returned',
    'urn:latchkey:problem:invalid-cursor',
  );
}

export const pageQuery = (q: ListQuery) => ({ limit: q.limit ?? 20, after: decodeCursor(q.cursor) });

/** `{"data": […], "next_cursor": "…"|null}` (DESIGN.md). */
export const listResponse = <T, R>(page: Page<T>, present: (item: T) => R) => ({
  data: page.items.map(present),
  next_cursor: page.next ? encodeCursor(page.next) : null,
});
