import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../src/context.js';
import { SubgraphDataSource } from '../src/subgraph-data-source.js';

/**
 * The rules of sharing identical subgraph requests in flight, against a subgraph stand-in that answers every request
 * after a pause (so the requests of one test are surely in flight together) and records what it received.
 */
let server: Server;
let url: string;
let received: { authorization: string | undefined; body: string }[] = [];
let answerStatus = 200;

beforeAll(async () => {
  server = createServer(async (request: IncomingMessage, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push({ authorization: request.headers.authorization, body });
    await new Promise((resolve) => setTimeout(resolve, 100));
    response.writeHead(answerStatus, { 'content-type': 'application/json' });
    response.end(
      answerStatus === 200
        ? JSON.stringify({ data: { answer: received.length } })
        : JSON.stringify({ errors: [{ message: 'The access token has expired.', extensions: { code: 'UNAUTHENTICATED' } }] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  answerStatus = 200;
});

const context = (authorization: string, sharingEpoch?: number): GatewayContext =>
  ({ viewer: null, authenticationError: null, requestId: crypto.randomUUID(), authorization, sharingEpoch }) as GatewayContext;

const request = (context: GatewayContext, query = 'query { answer }') =>
  ({
    kind: 'incoming operation',
    request: { query, variables: {} },
    context,
    incomingRequestContext: {},
  }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

describe('SubgraphDataSource', () => {
  it('sends identical queries of one caller in flight once, and each gets its own copy of the answer', async () => {
    const source = new SubgraphDataSource('hospital', url);
    const answers = await Promise.all([1, 2, 3].map(() => source.process(request(context('Bearer a', 0)))));
    expect(received).toHaveLength(1);
    expect(answers.map((answer) => answer.data)).toEqual([{ answer: 1 }, { answer: 1 }, { answer: 1 }]);
    expect(answers[0]).not.toBe(answers[1]);
    expect(source.deduplicated).toBe(2);
    await source.close();
  });

  it('never shares between Authorization headers, writes apart, or requests that may not share', async () => {
    const source = new SubgraphDataSource('hospital', url);
    await Promise.all([
      source.process(request(context('Bearer a', 0))),
      source.process(request(context('Bearer b', 0))),
      source.process(request(context('Bearer a', 1))),
      source.process(request(context('Bearer a'))),
      source.process(request(context('Bearer a'))),
    ]);
    expect(received).toHaveLength(5);
    expect(received.map((entry) => entry.authorization).sort()).toEqual(['Bearer a', 'Bearer a', 'Bearer a', 'Bearer a', 'Bearer b']);
    expect(source.deduplicated).toBe(0);
    await source.close();
  });

  it('sends again once the shared answer has arrived: nothing is cached', async () => {
    const source = new SubgraphDataSource('hospital', url);
    await source.process(request(context('Bearer a', 0)));
    await source.process(request(context('Bearer a', 0)));
    expect(received).toHaveLength(2);
    await source.close();
  });

  it('passes a refusal on as the subgraph meant it, to every request that shared it', async () => {
    answerStatus = 401;
    const source = new SubgraphDataSource('hospital', url);
    const outcomes = await Promise.allSettled([1, 2].map(() => source.process(request(context('Bearer a', 0)))));
    expect(received).toHaveLength(1);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason.extensions).toMatchObject({ code: 'UNAUTHENTICATED', serviceName: 'hospital' });
    }
    await source.close();
  });

  it('names the silo when it does not answer', async () => {
    const source = new SubgraphDataSource('ems', 'http://127.0.0.1:9/graphql');
    await expect(source.process(request(context('Bearer a', 0)))).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'ems' },
    });
    await source.close();
  });
});
