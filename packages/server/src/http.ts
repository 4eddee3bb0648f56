import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from './logger.js';

export interface GraphQLHttpOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** Builds the operation's context; may set response headers (the gateway returns its request id). */
  context: (request: IncomingMessage, response: ServerResponse) => Promise<TContext>;
  /** Throws when the service cannot serve (its database is unreachable); `GET /ready` reports it. */
  ready: () => Promise<void>;
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Handles extra routes (the IDE, its assets); returns false when the request is not one of them. */
  extraRoutes?: (request: IncomingMessage, response: ServerResponse) => Promise<boolean> | boolean;
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

function graphQLErrorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
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
          await options.ready();
          return sendJson(response, 200, { status: 'ready' });
        } catch (error) {
          logger.warn({ err: error }, 'readiness check failed');
          return sendJson(response, 503, { status: 'unavailable' });
        }
      }
      if (options.extraRoutes && (await options.extraRoutes(request, response))) return;
      if (url.pathname !== '/graphql') return sendJson(response, 404, { error: 'Not found' });

      let body: unknown;
      if (request.method === 'POST') {
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
      response.statusCode = result.status ?? 200;
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
      logger.error({ err: error }, 'request failed outside GraphQL execution');
      if (!response.headersSent) sendJson(response, 500, graphQLErrorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else response.destroy();
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
