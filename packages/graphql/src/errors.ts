import { GraphQLError } from 'graphql';

/**
 * The operation exceeds one of the query limits: the gateway's (MAX_COST, MAX_DEPTH, MAX_ALIASES, MAX_DIRECTIVES,
 * MAX_TOKENS, MAX_LIST_ITEMS) or a subgraph's own. Each has its own code, so a client knows what to change without
 * reading the message.
 */
export const QUERY_LIMIT_CODES = [
  'QUERY_TOO_COMPLEX',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_MANY_ALIASES',
  'QUERY_TOO_MANY_DIRECTIVES',
  'QUERY_TOO_MANY_TOKENS',
  'QUERY_TOO_MANY_LIST_ITEMS',
] as const;

export type QueryLimitCode = (typeof QUERY_LIMIT_CODES)[number];

/**
 * Every `extensions.code` MedPort's own code answers with; Apollo Server adds PERSISTED_QUERY_NOT_FOUND and
 * raises some of these itself. The README's error table describes each one.
 */
export type ErrorCode =
  // A well-formed operation the caller must change: a bad argument, an unknown or hidden record, a lost race.
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  // Who is asking.
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  // More sign-ins than a client may make, or than the service checks at once: retry after `retryAfterSeconds`.
  | 'TOO_MANY_REQUESTS'
  // The request itself, refused before anything ran.
  | 'BAD_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'GRAPHQL_PARSE_FAILED'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'OPERATION_RESOLUTION_FAILURE'
  | QueryLimitCode
  // Live subscriptions.
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'SUBSCRIBER_TOO_SLOW'
  | 'SERVICE_OVERLOADED'
  // Outages and bugs.
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export function userError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

export function isQueryLimitCode(code: unknown): code is QueryLimitCode {
  return (QUERY_LIMIT_CODES as readonly unknown[]).includes(code);
}

/** A refused query limit: `limit` is the configured bound, `actual` the operation's value where it is known. */
export function queryLimitError(
  code: QueryLimitCode,
  message: string,
  measure: { limit: number; actual?: number | undefined },
  /** The parser's error this one replaces, for its location in the document. */
  parseError?: GraphQLError,
): GraphQLError {
  return new GraphQLError(message, {
    ...(parseError ? { source: parseError.source, positions: parseError.positions } : {}),
    extensions: { code, limit: measure.limit, ...(measure.actual === undefined ? {} : { actual: measure.actual }) },
  });
}

/**
 * graphql-js's parser stops at `maxTokens` with a plain syntax error; this is that error as the limit it is, or
 * null for any other error. (graphql 16 words it "more that 2000 tokens", later versions "more than".)
 */
export function tokenLimitError(error: GraphQLError): GraphQLError | null {
  const match = /^Syntax Error: Document contains more th(?:an|at) (\d+) tokens\. Parsing aborted\.$/.exec(error.message);
  if (!match) return null;
  const limit = Number(match[1]);
  return queryLimitError(
    'QUERY_TOO_MANY_TOKENS',
    `The document has more than ${limit.toLocaleString('en-US')} tokens (names, values and punctuation); at most ${limit.toLocaleString('en-US')} are allowed. Send a shorter document.`,
    { limit },
    error,
  );
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
