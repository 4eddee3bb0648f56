import { GraphQLError } from 'graphql';

/** The error codes clients can rely on (ARCHITECTURE.md §2). */
export type ErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

export function userError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

export const badInput = (message: string, field?: string) =>
  userError('BAD_USER_INPUT', message, field ? { field } : {});

export const notFound = (typename: string, id: string) =>
  userError('NOT_FOUND', `${typename} ${id} was not found.`, { typename, id });

export const conflict = (message: string) => userError('CONFLICT', message);

const hiddenRecords = new WeakSet<GraphQLError>();

/**
 * The NOT_FOUND of a record that exists but lies outside the caller's scope: to the caller it is the very error
 * of an unknown id; the audit trail alone records it as a refused attempt (see `isHiddenRecord`).
 */
export function hiddenRecord(typename: string, id: string): GraphQLError {
  const error = notFound(typename, id);
  hiddenRecords.add(error);
  return error;
}

export function isHiddenRecord(error: unknown): boolean {
  return typeof error === 'object' && error !== null && hiddenRecords.has(error as GraphQLError);
}
