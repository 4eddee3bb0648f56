import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import { REQUEST_ID_SIGNATURE_HEADER, signRequestId } from '@medport/auth';
import { IDEMPOTENCY_KEY_HEADER } from '@medport/server';
import type { GatewayContext } from './context.js';

const SUBGRAPH_TIMEOUT_MS = 30_000;

type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** A subgraph's answer as received: shared by identical requests in flight, parsed by each of them. */
interface SubgraphAnswer {
  status: number;
  body: string;
}

/**
 * Calls one subgraph over a pool of keep-alive connections (undici's `request`, without the WHATWG fetch layers
 * that the default client and Node's fetch add to every call). Forwards the caller's credentials, request id (signed,
 * since the subgraphs take no other; see `signRequestId`) and address, and turns a network failure into an error
 * that names the silo, so a client sees which part of its answer is missing and why.
 *
 * Identical queries in flight are sent once: when a request asks a subgraph exactly what another one with the same
 * Authorization header is already waiting for, it waits for the same answer (and parses its own copy, since the
 * gateway merges into what it receives). Only queries that read no patient data take part (every read of patient
 * data or trip lookups are audited by the hospital per request), and only with requests that started after the same
 * changes (`sharingEpoch`, see subgraph-sharing.ts). A request that joins another's sends no request id of its own.
 * Nothing is kept once the answer arrives; this is not a cache.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly inFlight = new Map<string, Promise<SubgraphAnswer>>();
  /** Requests answered by joining an identical one in flight, since the start. */
  deduplicated = 0;

  /** `requestIdSecret` signs the request ids it forwards (see `signRequestId`); without it they go unsigned and are not taken. */
  constructor(
    readonly serviceName: string,
    readonly url: string,
    private readonly requestIdSecret: string | null = null,
  ) {
    const parsed = new URL(url);
    this.path = `${parsed.pathname}${parsed.search}`;
    // A subgraph that stops answering fails the requests waiting on it within half a minute, not undici's five.
    this.pool = new Pool(parsed.origin, { keepAliveTimeout: 4_000, headersTimeout: SUBGRAPH_TIMEOUT_MS, bodyTimeout: SUBGRAPH_TIMEOUT_MS });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const { request, context } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const authorization = context && 'authorization' in context && context.authorization ? context.authorization : null;
    if (authorization) headers.authorization = authorization;
    if (context && 'requestId' in context && context.requestId) {
      headers['x-request-id'] = context.requestId;
      if (this.requestIdSecret) headers[REQUEST_ID_SIGNATURE_HEADER] = signRequestId(this.requestIdSecret, context.requestId, authorization);
    }
    // Only the gateway's own view of the client: the headers are built afresh, so a client's x-forwarded-for never
    // reaches a subgraph.
    if (context && 'clientAddress' in context && context.clientAddress) headers['x-forwarded-for'] = context.clientAddress;
    if (context && 'idempotencyKey' in context && context.idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER] = context.idempotencyKey;
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName });

    let answer: SubgraphAnswer;
    try {
      const epoch = 'incomingRequestContext' in options ? options.context.sharingEpoch : undefined;
      if (epoch !== undefined) {
        const key = `${epoch}\n${authorization ?? ''}\n${body}`;
        let shared = this.inFlight.get(key);
        if (shared) this.deduplicated++;
        else {
          shared = this.send(body, headers).finally(() => this.inFlight.delete(key));
          this.inFlight.set(key, shared);
        }
        answer = await shared;
      } else {
        answer = await this.send(body, headers);
      }
    } catch (error) {
      throw this.unavailable(error as Error);
    }
    const parsed = parseJson(answer.body);
    if (answer.status < 200 || answer.status >= 300) throw this.errorFromAnswer(answer.status, parsed);
    if (!parsed || typeof parsed !== 'object') throw this.unavailable(new Error(`The ${this.serviceName} service answered with no JSON object.`));
    return parsed as SubgraphResponse;
  }

  private async send(body: string, headers: Record<string, string>): Promise<SubgraphAnswer> {
    const response = await this.pool.request({ method: 'POST', path: this.path, headers, body });
    return { status: response.statusCode, body: await response.body.text() };
  }

  /**
   * A subgraph answers some refusals with an HTTP error status (401 for a refused token, 429 for too many sign-ins)
   * and a GraphQL body. The client gets that body's error as the subgraph meant it, never the subgraph's internal URL
   * or raw response; a refusal that says when to try again keeps its status, its hint and a Retry-After header.
   */
  private errorFromAnswer(status: number, body: unknown): GraphQLError {
    const first = (body as { errors?: { message?: unknown; extensions?: { code?: unknown; retryAfterSeconds?: unknown } }[] } | null)?.errors?.[0];
    if (first && typeof first.message === 'string') {
      const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
      const retryAfterSeconds = first.extensions?.retryAfterSeconds;
      const retry =
        typeof retryAfterSeconds === 'number' && Number.isInteger(retryAfterSeconds) && retryAfterSeconds > 0
          ? {
              retryAfterSeconds,
              // Apollo Server answers with an error's `extensions.http`, its headers a Map (it checks); graphql-yoga's
              // typings, installed here too, declare a plain object there instead.
              http: { status, headers: new Map([['retry-after', String(retryAfterSeconds)]]) as unknown as Record<string, string> },
            }
          : {};
      return new GraphQLError(first.message, { extensions: { code, serviceName: this.serviceName, ...retry } });
    }
    return new GraphQLError(`The ${this.serviceName} service answered HTTP ${status}.`, {
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.serviceName },
    });
  }

  private unavailable(error: Error): GraphQLError {
    return new GraphQLError(`The ${this.serviceName} service is unavailable; data it provides is missing from this response.`, {
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: this.serviceName },
      originalError: error,
    });
  }

  /** Whether the subgraph answers its own `GET /ready` (it serves, and its database answers) within `timeoutMs`. */
  async ready(timeoutMs: number): Promise<boolean> {
    try {
      const response = await this.pool.request({ method: 'GET', path: '/ready', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      await response.body.dump();
      return response.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Closes the kept-alive connections (the gateway is stopping). */
  close(): Promise<void> {
    return this.pool.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
