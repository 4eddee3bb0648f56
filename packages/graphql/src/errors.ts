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
