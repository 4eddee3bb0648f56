import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parsePage, toConnection } from '../src/index.js';

function codeOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : error;
  }
  return undefined;
}

describe('keyset pagination', () => {
  it('round-trips a cursor', () => {
    const cursor = { key: '2026-11-21T10:00:00.000Z', id: '3f1c2a4e-7b1d-4c3e-9f00-1a2b3c4d5e6f' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('rejects a malformed cursor as bad user input', () => {
    expect(codeOf(() => decodeCursor('not-a-cursor'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor(Buffer.from('{"a":1}').toString('base64url')))).toBe('BAD_USER_INPUT');
    // A well-formed cursor whose id is not an id must not reach SQL as a failing uuid cast.
    expect(codeOf(() => decodeCursor(Buffer.from('["x","1 or 1=1"]').toString('base64url')))).toBe('BAD_USER_INPUT');
  });

  it('rejects page sizes outside 0..200', () => {
    expect(codeOf(() => parsePage({ first: -1 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parsePage({ first: 501 }))).toBe('BAD_USER_INPUT');
    expect(parsePage({ first: 0 }).limit).toBe(0);
  });

  it('uses the extra row only to tell that a next page exists', () => {
    const ids = ['0a', '0b', '0c'].map((prefix) => `${prefix}000000-0000-4000-8000-000000000000`);
    const rows = ids.map((id) => ({ id }));
    const connection = toConnection(rows, { limit: 2, after: null }, (row) => ({ key: null, id: row.id }));
    expect(connection.nodes.map((row) => row.id)).toEqual(ids.slice(0, 2));
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(connection.pageInfo.endCursor!).id).toBe(ids[1]);
  });
});
