import { badInput } from './errors.js';
import { isId } from './validation.js';

/**
 * Relay-style keyset pagination. A cursor is the sort key and id of the last row seen, so pages stay stable
 * while rows are inserted, and a page costs one indexed range scan instead of an OFFSET.
 */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page {
  limit: number;
  after: Cursor | null;
}

export interface Cursor {
  /** The sort value of the last row (an ISO time, a name, a number), or null when sorting by id only. */
  key: string | number | null;
  id: string;
}

export const DEFAULT_PAGE_SIZE = 50;
/** A whole shift's trip board fits one page. Nested pages multiply: the gateway's depth limit bounds how many nest. */
export const MAX_PAGE_SIZE = 500;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(decoded) &&
      decoded.length === 2 &&
      (decoded[0] === null || typeof decoded[0] === 'string' || typeof decoded[0] === 'number') &&
      typeof decoded[1] === 'string' &&
      isId(decoded[1])
    ) {
      return { key: decoded[0], id: decoded[1] };
    }
  } catch {
    // fall through to the error below: the client sent something that is not one of our cursors
  }
  throw badInput('The cursor in `after` is malformed; pass an endCursor or edge cursor from a previous page.', 'after');
}

export function parsePage(args: PageArgs, defaultSize = DEFAULT_PAGE_SIZE): Page {
  const first = args.first ?? defaultSize;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}.`, 'first');
  }
  return { limit: first, after: args.after ? decodeCursor(args.after) : null };
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  nodes: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Builds a connection from rows fetched with `limit + 1`: the extra row only tells whether a next page exists.
 */
export function toConnection<Row>(rows: Row[], page: Page, cursorOf: (row: Row) => Cursor): Connection<Row> {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return {
    edges,
    nodes,
    pageInfo: { hasNextPage: rows.length > page.limit, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

/** The sort key of a cursor as the value to compare against, checked against the column's kind. */
export function cursorTime(cursor: Cursor): Date {
  const time = typeof cursor.key === 'string' ? new Date(cursor.key) : new Date(NaN);
  if (Number.isNaN(time.getTime())) throw badInput('The cursor in `after` does not belong to this list.', 'after');
  return time;
}

export function cursorText(cursor: Cursor): string {
  if (typeof cursor.key !== 'string') throw badInput('The cursor in `after` does not belong to this list.', 'after');
  return cursor.key;
}
