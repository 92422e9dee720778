// Lists read in pages by cursor (the admin API): the shape every paged read returns.
// The protocol core's own types: src/store implements the storage interfaces here, never the reverse.

/**
 * Keyset pagination (the admin API's `?limit=&cursor=`): rows are walked in (created_at, id) order,
 * and a page ends at the last row's key, so rows added or removed meanwhile never shift a page the
 * way OFFSET would.
 */
export interface Cursor {
  createdAt: number;
  id: string;
}

export interface PageQuery {
  limit: number;
  after?: Cursor;
}

export interface Page<T> {
  items: T[];
  /** The key of the last item when more follow; undefined on the last page. */
  next?: Cursor;
}
