import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { QUERY_LIMIT_CODES, type ErrorCode } from '@medport/graphql';
import { GraphQLError, Kind } from 'graphql';
import { siloUnavailableFor } from './errors.js';
import type { Logger } from './logger.js';
import { refusedTextOfQuery } from './refused-text.js';

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the operation's context; may set response headers (the gateway returns its request id). */
  context: (request: IncomingMessage, response: ServerResponse) => Promise<TContext>;
  /**
   * Throws when the service cannot serve (its database is unreachable); `GET /ready` reports it. What it returns
   * is added to the ready answer's body (the gateway lists the subgraphs it reaches).
   */
  ready: () => Promise<Record<string, unknown> | void>;
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Handles extra routes (the IDE, its assets); returns false when the request is not one of them. */
  extraRoutes?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;
  /**
   * The silo whose database this service owns: an extra route that fails because the database cannot be reached
   * (the center's JWKS, an events feed) is answered 503 SERVICE_UNAVAILABLE naming it, not 500.
   */
  silo?: string;
}

class PayloadTooLarge extends Error {}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function graphQLErrorBody(message: string, code: ErrorCode) {
  return { errors: [{ message, extensions: { code } }] };
}

/** The media type of a `content-type` header, lower case, and its charset if it names one. */
function mediaTypeOf(header: string | undefined): { essence: string; charset: string | undefined } | null {
  if (!header) return null;
  const [essence = '', ...parameters] = header.split(';').map((part) => part.trim());
  const charset = parameters
    .map((parameter) => /^charset\s*=\s*"?([^";]*)"?$/i.exec(parameter)?.[1])
    .find((value) => value !== undefined);
  return { essence: essence.toLowerCase(), charset: charset?.toLowerCase() };
}

/**
 * A POST body must say it is JSON: a request without a content-type, or with another one (a form, plain text, a
 * charset other than UTF-8), would otherwise be guessed at and could run.
 */
function isJsonBody(request: IncomingMessage): boolean {
  const type = mediaTypeOf(request.headers['content-type']);
  return type !== null && type.essence === 'application/json' && (type.charset === undefined || type.charset === 'utf-8');
}

/**
 * Errors of the GraphQL request itself: the document did not parse or validate, does not say which of its
 * operations to run, its variables do not fit, or it exceeds a query limit. Nothing ran.
 */
const REQUEST_ERROR_CODES: ReadonlySet<unknown> = new Set<string>([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_USER_INPUT',
  ...QUERY_LIMIT_CODES,
]);

interface GraphQLResponseBody {
  data?: unknown;
  errors?: { extensions?: { code?: unknown } }[];
}

function parsedBody(result: HTTPGraphQLResponse): GraphQLResponseBody | null {
  if (result.body.kind !== 'complete') return null;
  try {
    return (JSON.parse(result.body.string) ?? {}) as GraphQLResponseBody;
  } catch {
    return null;
  }
}

/** No data, and errors that all have a code in `codes`. */
function errorsOnly(body: GraphQLResponseBody | null, codes: (code: unknown) => boolean): boolean {
  if (!body || (body.data !== undefined && body.data !== null)) return false;
  return Array.isArray(body.errors) && body.errors.length > 0 && body.errors.every((error) => codes(error.extensions?.code));
}

/**
 * The status of a response, by the GraphQL-over-HTTP spec. Apollo answers a request error with 400 whatever the
 * client accepts; the spec's 400 belongs to `application/graphql-response+json`, while an `application/json`
 * client (the default, and every client written before that media type) gets 200 and reads the errors from the
 * body. Other refusals keep their status: a malformed HTTP request (BAD_REQUEST) stays 400 and a refused token 401.
 *
 * An answer without data whose every error is SERVICE_UNAVAILABLE (a silo or its database is down, or tokens cannot
 * be checked) is 503 for `application/graphql-response+json`, so that load balancers and retry policies see an
 * outage: the spec wants 4xx or 5xx when there is no `data`, and only recommends 2xx for `data: null`, which here is
 * no partial answer either. An `application/json` client gets 200 for it, as for any well-formed request, instead of
 * the 500 Apollo gives a context that failed; a status an error asked for itself is kept.
 */
function statusOf(result: HTTPGraphQLResponse): number {
  const status = result.status ?? 200;
  if (result.body.kind !== 'complete') return status;
  const json = mediaTypeOf(result.headers.get('content-type'))?.essence === 'application/json';
  // Most answers are not outages: only those that name the code are parsed.
  if (result.body.string.includes('"SERVICE_UNAVAILABLE"') && errorsOnly(parsedBody(result), (code) => code === 'SERVICE_UNAVAILABLE')) {
    return !json ? 503 : status === 500 ? 200 : status;
  }
  if (status !== 400 || !json) return status;
  const body = parsedBody(result);
  const requestErrorsOnly = body !== null && body.data === undefined && errorsOnly(body, (code) => REQUEST_ERROR_CODES.has(code));
  return requestErrorsOnly ? 200 : status;
}

/**
 * Refuses, before execution, what a GraphQL request over HTTP cannot run, with the status of a client error:
 * - a document Apollo Server cannot pick the operation out of (several operations and no `operationName`, or an
 *   `operationName` it does not hold). Apollo leaves that to execution, where a subgraph answers
 *   OPERATION_RESOLUTION_FAILURE but the gateway's executor throws (HTTP 500);
 * - a subscription: those are served over graphql-ws; over HTTP the gateway's executor throws, and a subgraph would
 *   run the subscription field's resolver as if it were a query.
 */
export function httpOperationsPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) at this address; send queries and mutations over HTTP.', {
              extensions: { code: 'BAD_REQUEST' satisfies ErrorCode, http: { status: 400 } },
            });
          }
          if (operation) return;
          const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
          const message = request.operationName
            ? `Unknown operation named "${request.operationName}".`
            : operations > 1
              ? 'Must provide operation name if query contains multiple operations.'
              : 'Must provide an operation.';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' satisfies ErrorCode, http: { status: 400 } } });
        },
      };
    },
  };
}

/**
 * A plain node:http server around Apollo Server's HTTP entry point: `/graphql`, `GET /health` (the process is
 * alive) and `GET /ready` (its dependencies answer). One implementation serves the gateway and every subgraph.
 */
export function createGraphQLHttpServer<TContext extends BaseContext>(options: GraphQLHttpOptions<TContext>): Server {
  const { apollo, logger } = options;
  return createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method === 'GET' && url.pathname === '/health') return sendJson(response, 200, { status: 'ok' });
      if (request.method === 'GET' && url.pathname === '/ready') {
        try {
          const details = await options.ready();
          return sendJson(response, 200, { status: 'ready', ...details });
        } catch (error) {
          logger.warn({ err: error }, 'readiness check failed');
          return sendJson(response, 503, { status: 'unavailable' });
        }
      }
      // Every route reads its query parameters the same way, so they are checked once for all of them.
      const refusedParameter = refusedTextOfQuery(url);
      if (refusedParameter) return sendJson(response, 400, { errors: [{ message: refusedParameter.message, extensions: refusedParameter.extensions }] });
      if (options.extraRoutes && (await options.extraRoutes(request, response))) return;
      if (url.pathname !== '/graphql') return sendJson(response, 404, { error: 'Not found' });

      let body: unknown;
      if (request.method === 'POST') {
        if (!isJsonBody(request)) {
          response.setHeader('accept', 'application/json');
          return sendJson(
            response,
            415,
            graphQLErrorBody('Send the operation as JSON, with the header content-type: application/json (UTF-8).', 'UNSUPPORTED_MEDIA_TYPE'),
          );
        }
        const text = await readBody(request, options.maxBodyBytes);
        try {
          body = text.length > 0 ? JSON.parse(text) : {};
        } catch {
          return sendJson(response, 400, graphQLErrorBody('The request body is not valid JSON.', 'BAD_REQUEST'));
        }
      }
      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body },
        context: () => options.context(request, response),
      });
      for (const [name, value] of result.headers) response.setHeader(name, value);
      response.statusCode = statusOf(result);
      if (result.body.kind === 'complete') {
        response.end(result.body.string);
      } else {
        for await (const chunk of result.body.asyncIterator) response.write(chunk);
        response.end();
      }
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        return sendJson(response, 413, graphQLErrorBody('The request body is too large.', 'PAYLOAD_TOO_LARGE'));
      }
      const unavailable = options.silo === undefined ? null : siloUnavailableFor(error, options.silo);
      if (unavailable) logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'request failed: the database is unavailable');
      else logger.error({ err: error }, 'request failed outside GraphQL execution');
      if (response.headersSent) response.destroy();
      else if (unavailable) sendJson(response, 503, { errors: [unavailable.toJSON()] });
      else sendJson(response, 500, graphQLErrorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
    }
  });
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on `port` (0 picks a free one) and returns the GraphQL URL. */
export async function listen(server: Server, host: string, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${publicHost}:${actualPort}/graphql`,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
