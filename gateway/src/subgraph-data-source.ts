import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';

type Fetcher = NonNullable<NonNullable<ConstructorParameters<typeof RemoteGraphQLDataSource>[0]>['fetcher']>;

/**
 * Calls one subgraph. Forwards the caller's credentials and request id, and turns a network failure into an
 * error that names the silo, so a client sees which part of its answer is missing and why.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly serviceName: string,
    url: string,
  ) {
    // Node's built-in fetch (undici, keep-alive) instead of the gateway's default client, which spends a large
    // share of each request building error stacks to guess the protocol.
    super({ url, fetcher: fetch as unknown as Fetcher });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    if (!request.http || !context) return;
    if ('requestId' in context && context.requestId) request.http.headers.set('x-request-id', context.requestId);
    if ('authorization' in context && context.authorization) request.http.headers.set('authorization', context.authorization);
  }

  /**
   * A subgraph answers some refusals with an HTTP error status (401 for a refused token) and a GraphQL body. The
   * client gets that body's error as the subgraph meant it, never the subgraph's internal URL or raw response.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    const body = await response.json().catch(() => null);
    const first = (body as { errors?: { message?: unknown; extensions?: { code?: unknown } }[] } | null)?.errors?.[0];
    if (first && typeof first.message === 'string') {
      const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
      return new GraphQLError(first.message, { extensions: { code, serviceName: this.serviceName } });
    }
    return new GraphQLError(`The ${this.serviceName} service answered HTTP ${response.status}.`, {
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.serviceName },
    });
  }

  override didEncounterError(error: Error): void {
    if (error instanceof GraphQLError) throw error;
    throw new GraphQLError(`The ${this.serviceName} service is unavailable; data it provides is missing from this response.`, {
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.serviceName },
      originalError: error,
    });
  }
}
