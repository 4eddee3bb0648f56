import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger.js';

/**
 * Expected failures carry a code the client can act on and pass through unchanged. Anything else is a bug or
 * an outage: the client gets a generic message (no stack, no SQL, no patient data), the log gets the detail.
 */
export function formatErrorFor(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    // Errors relayed by the gateway from a subgraph were already masked there and name their service.
    if (formatted.extensions?.serviceName) return formatted;
    const cause = unwrapResolverError(error);
    logger.error({ err: cause, path: formatted.path }, 'unexpected error while executing an operation');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
