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
    const cursor = { key: '2026-11-21T10:00:00.000Z', id: '3f1c' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('rejects a malformed cursor as bad user input', () => {
    expect(codeOf(() => decodeCursor('not-a-cursor'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor(Buffer.from('{"a":1}').toString('base64url')))).toBe('BAD_USER_INPUT');
  });

  it('rejects page sizes outside 0..200', () => {
    expect(codeOf(() => parsePage({ first: -1 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parsePage({ first: 201 }))).toBe('BAD_USER_INPUT');
    expect(parsePage({ first: 0 }).limit).toBe(0);
  });

  it('uses the extra row only to tell that a next page exists', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const connection = toConnection(rows, { limit: 2, after: null }, (row) => ({ key: null, id: row.id }));
    expect(connection.nodes.map((row) => row.id)).toEqual(['a', 'b']);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(connection.pageInfo.endCursor!).id).toBe('b');
  });
});
