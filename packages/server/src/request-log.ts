import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { clientCodeOf } from './errors.js';
import type { Logger } from './logger.js';

/**
 * One log line per operation: request id, operation name and type, duration and the error codes, so an operator
 * can follow one request through the gateway and the silos. Variables and results are never logged: they can
 * carry patient references. A subgraph passes its `silo`, as to `formatErrorFor`, so that the codes are the client's.
 */
export function requestLogPlugin<TContext extends BaseContext & { requestId?: string }>(logger: Logger, silo?: string): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, errors }) {
          const codes = [...new Set((errors ?? []).map((error) => clientCodeOf(error, silo)))];
          logger.info(
            {
              requestId: contextValue.requestId,
              operationName: operationName ?? null,
              operationType: operation?.operation ?? null,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
              ...(codes.length > 0 ? { errorCodes: codes } : {}),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
