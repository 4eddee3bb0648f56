import { unwrapResolverError } from '@apollo/server/errors';
import { isDatabaseUnavailable } from '@medport/database';
import { isQueryLimitCode, tokenLimitError } from '@medport/graphql';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger.js';

/**
 * The query limit behind an error Apollo Server raised for a document it could not parse or validate, or null.
 * Apollo wraps every parse and validation error in its own class and stamps GRAPHQL_PARSE_FAILED or
 * GRAPHQL_VALIDATION_FAILED over the code the error had: a limit's own code (QUERY_TOO_COMPLEX…) is what tells the
 * client what to change, and graphql-js reports its token limit as a plain syntax error.
 */
export function queryLimitBehind(error: unknown): GraphQLError | null {
  if (!(error instanceof GraphQLError) || !(error.originalError instanceof GraphQLError)) return null;
  const { code } = error.extensions;
  if (code === 'GRAPHQL_VALIDATION_FAILED') return isQueryLimitCode(error.originalError.extensions.code) ? error.originalError : null;
  if (code === 'GRAPHQL_PARSE_FAILED') return tokenLimitError(error.originalError);
  return null;
}

/**
 * What a client is told when a silo cannot reach its own database, in the terms the gateway uses for a silo it
 * cannot reach at all: SERVICE_UNAVAILABLE naming the silo, so that clients and the gateway treat both alike.
 */
export function siloDatabaseUnavailable(silo: string, where?: GraphQLError): GraphQLError {
  return new GraphQLError(`The ${silo} database is unavailable; try again shortly.`, {
    ...(where ? { nodes: where.nodes, source: where.source, positions: where.positions, path: where.path } : {}),
    extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: silo },
  });
}

/**
 * The answer for an error of a silo's own work: `siloDatabaseUnavailable` (at the same place in the operation) when
 * it failed because the database cannot be reached, null when it is any other failure. Errors that already carry a
 * code of their own keep it.
 */
export function siloUnavailableFor(error: unknown, silo: string): GraphQLError | null {
  const graphQLError = error instanceof GraphQLError ? error : undefined;
  const code = graphQLError?.extensions.code;
  if (code !== undefined && code !== 'INTERNAL_SERVER_ERROR') return null;
  return isDatabaseUnavailable(error) ? siloDatabaseUnavailable(silo, graphQLError) : null;
}

/** The code a client gets for an error, as `formatErrorFor` answers it (request logs record the same). */
export function clientCodeOf(error: GraphQLError, silo?: string): string {
  const limit = queryLimitBehind(error);
  if (limit) return String(limit.extensions.code);
  if (error.extensions.code === undefined && isClientErrorStatus(error)) return 'BAD_REQUEST';
  if (silo !== undefined && siloUnavailableFor(error, silo)) return 'SERVICE_UNAVAILABLE';
  return String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR');
}

/**
 * Apollo refuses a few malformed requests (a persisted query's hash that does not match its query, an unknown
 * persisted-query version) with an HTTP 4xx status and no code: the client's mistake, not a server failure.
 */
function isClientErrorStatus(error: GraphQLError): boolean {
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Expected failures carry a code the client can act on and pass through unchanged. Anything else is a bug or
 * an outage: the client gets a generic message (no stack, no SQL, no patient data), the log gets the detail.
 * A subgraph passes its `silo`: an operation that failed because that silo's database cannot be reached is answered
 * as `siloDatabaseUnavailable`, which the client can retry, and not as a bug. The gateway has no database.
 */
export function formatErrorFor(logger: Logger, silo?: string) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limit = queryLimitBehind(error);
    if (limit) return { ...formatted, message: limit.message, extensions: { ...formatted.extensions, ...limit.extensions } };
    if (error instanceof GraphQLError && error.extensions.code === undefined && isClientErrorStatus(error)) {
      return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
    }
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    // Errors relayed by the gateway from a subgraph were already masked there and name their service.
    if (formatted.extensions?.serviceName) return formatted;
    const cause = unwrapResolverError(error);
    const unavailable = silo === undefined ? null : siloUnavailableFor(error, silo);
    if (unavailable) {
      logger.warn({ error: cause instanceof Error ? cause.message : String(cause), path: formatted.path }, 'operation failed: the database is unavailable');
      return {
        message: unavailable.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: unavailable.extensions,
      };
    }
    logger.error({ err: cause, path: formatted.path }, 'unexpected error while executing an operation');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
