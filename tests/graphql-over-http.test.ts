import { demo } from '@medport/domain';
import { openLiveConnection, type LiveConnection } from '@medport/testing';
import type { GraphQLFormattedError } from 'graphql';
import { serverAudits, type AuditFail, type AuditResult } from 'graphql-http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

// MedPort over HTTP as the GraphQL-over-HTTP spec has it, against the real services: the spec's reference audits
// (graphql-http) on the gateway and on every subgraph; the status of a GraphQL request error by the media type the
// client accepts (200 for application/json, 400 for application/graphql-response+json); what a body that is not JSON
// gets; and every query limit of the gateway refused with a code of its own, over HTTP and over graphql-ws alike.

let stack: Stack;
const network = demo.buildDemoNetwork();
const ADMIN = 'admin@center.demo';
const COORDINATOR = 'coordinator@hospital-1.demo';

const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

type Service = 'gateway' | 'hospital' | 'ems' | 'center';
const SERVICES: Service[] = ['gateway', 'hospital', 'ems', 'center'];
const urlOf = (service: Service) => (service === 'gateway' ? stack.gatewayUrl : stack.subgraphs[service].url);

interface Answer {
  status: number;
  contentType: string | null;
  body: { data?: unknown; errors?: GraphQLFormattedError[] };
}

/** One POST of a GraphQL request, signed in, accepting `accept` (none: the header is left out). */
async function post(url: string, request: Record<string, unknown>, accept: string | null, email = ADMIN): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': JSON_TYPE, ...(accept ? { accept } : {}), ...(await stack.as(email)) },
    body: JSON.stringify(request),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Answer['body'] };
}

const codesOf = (answer: Answer) => (answer.body.errors ?? []).map((error) => error.extensions?.code);

/**
 * A GraphQL request error (nothing ran) answered as the spec wants it for both media types: 400 with
 * application/graphql-response+json, 200 with application/json and without an accept header, the same body each
 * time, no `data`, the errors' codes `codes`. Returns the body's errors.
 */
async function requestError(url: string, request: Record<string, unknown>, codes: string[]): Promise<GraphQLFormattedError[]> {
  const strict = await post(url, request, GRAPHQL_RESPONSE_TYPE);
  const legacy = await post(url, request, JSON_TYPE);
  const unspecified = await post(url, request, null);
  expect({ status: strict.status, type: strict.contentType }).toEqual({ status: 400, type: expect.stringContaining(GRAPHQL_RESPONSE_TYPE) });
  expect({ status: legacy.status, type: legacy.contentType }).toEqual({ status: 200, type: expect.stringContaining(JSON_TYPE) });
  expect(unspecified.status).toBe(200);
  expect(codesOf(strict), JSON.stringify(strict.body)).toEqual(codes);
  expect(strict.body).not.toHaveProperty('data');
  expect(legacy.body).toEqual(strict.body);
  expect(unspecified.body).toEqual(strict.body);
  return strict.body.errors!;
}

describe('the GraphQL-over-HTTP audits (graphql-http)', () => {
  const describeAudit = (result: AuditResult) => `${result.id} ${result.name}${result.status === 'ok' ? '' : `: ${result.reason}`}`;

  it.each(SERVICES)('finds no error and no warning on the %s', async (service) => {
    // MedPort answers nothing but signing in without a token, and the audits' `{ __typename }` is no sign-in.
    const authorization = await stack.as(ADMIN);
    const fetchFn = (input: RequestInfo | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      for (const [name, value] of Object.entries(authorization)) headers.set(name, value);
      return fetch(input, { ...init, headers });
    };
    const results = await Promise.all(serverAudits({ url: urlOf(service), fetchFn }).map((audit) => audit.fn()));
    expect(results.length).toBeGreaterThan(50);

    const failed = results.filter((result) => result.status === 'error' || result.status === 'warn');
    expect(failed.map(describeAudit), `audits failed on the ${service}`).toEqual([]);

    // The notices are optional GET requests, refused by CSRF prevention: a GET must carry a header that a browser
    // only sends after a preflight (see 'accepts GET with a preflight-forcing header' below).
    for (const notice of results.filter((result): result is AuditFail => result.status === 'notice')) {
      expect(notice.name, describeAudit(notice)).toMatch(/GET/);
      expect(await notice.response.text(), describeAudit(notice)).toContain('Cross-Site Request Forgery');
    }
  });

  it('accepts GET with a preflight-forcing header: the audits\' notices are CSRF prevention, not a missing feature', async () => {
    for (const service of SERVICES) {
      const url = new URL(urlOf(service));
      url.searchParams.set('query', 'query Type($name: String!) { __type(name: $name) { name } }');
      url.searchParams.set('variables', JSON.stringify({ name: 'Query' }));
      const plain = await fetch(url, { headers: { ...(await stack.as(ADMIN)), accept: GRAPHQL_RESPONSE_TYPE } });
      expect(plain.status, service).toBe(400);
      const preflighted = await fetch(url, { headers: { ...(await stack.as(ADMIN)), accept: GRAPHQL_RESPONSE_TYPE, 'apollo-require-preflight': 'true' } });
      expect({ service, status: preflighted.status, body: await preflighted.json() }).toEqual({ service, status: 200, body: { data: { __type: { name: 'Query' } } } });
    }
  });
});

describe('GraphQL request errors, by the media type the client accepts', () => {
  it.each(SERVICES)('answers a syntax error with GRAPHQL_PARSE_FAILED on the %s', async (service) => {
    const [error] = await requestError(urlOf(service), { query: '{' }, ['GRAPHQL_PARSE_FAILED']);
    expect(error!.message).toBe('Syntax Error: Expected Name, found <EOF>.');
    expect(error!.locations).toEqual([{ line: 1, column: 2 }]);
  });

  it.each(SERVICES)('answers a document that does not fit the schema with GRAPHQL_VALIDATION_FAILED on the %s', async (service) => {
    const [error] = await requestError(urlOf(service), { query: '{ noSuchField }' }, ['GRAPHQL_VALIDATION_FAILED']);
    expect(error!.message).toBe('Cannot query field "noSuchField" on type "Query".');
  });

  it.each(SERVICES)('answers variables that do not fit their types with BAD_USER_INPUT on the %s', async (service) => {
    const request = { query: 'query($name: String!) { __type(name: $name) { name } }', variables: { name: { not: 'a name' } } };
    await requestError(urlOf(service), request, ['BAD_USER_INPUT']);
  });

  it.each(SERVICES)('answers a document that does not say which operation to run with OPERATION_RESOLUTION_FAILURE on the %s', async (service) => {
    const [several] = await requestError(urlOf(service), { query: 'query A { __typename } query B { __typename }' }, ['OPERATION_RESOLUTION_FAILURE']);
    expect(several!.message).toBe('Must provide operation name if query contains multiple operations.');
    const [unknown] = await requestError(urlOf(service), { query: 'query A { __typename }', operationName: 'B' }, ['OPERATION_RESOLUTION_FAILURE']);
    expect(unknown!.message).toBe('Unknown operation named "B".');
  });

  it('refuses a subscription sent over HTTP to the gateway with BAD_REQUEST: they are served over graphql-ws', async () => {
    for (const accept of [JSON_TYPE, GRAPHQL_RESPONSE_TYPE]) {
      const answer = await post(stack.gatewayUrl, { query: 'subscription { tripStatusChanged { status } }' }, accept, COORDINATOR);
      expect({ accept, status: answer.status, body: answer.body }).toEqual({
        accept,
        status: 400,
        body: {
          errors: [
            {
              message: 'Subscriptions are served over WebSocket (graphql-ws) at this address; send queries and mutations over HTTP.',
              extensions: { code: 'BAD_REQUEST' },
            },
          ],
        },
      });
    }
  });

  it('keeps 401 for a refused token and 400 for a malformed request, whatever the client accepts', async () => {
    for (const accept of [JSON_TYPE, GRAPHQL_RESPONSE_TYPE]) {
      const refused = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': JSON_TYPE, accept, authorization: 'Bearer not-a-token' },
        body: JSON.stringify({ query: '{ agencies(first: 1) { nodes { id } } }' }),
      });
      expect({ accept, status: refused.status, codes: ((await refused.json()) as Answer['body']).errors?.map((error) => error.extensions?.code) }).toEqual({
        accept,
        status: 401,
        codes: ['UNAUTHENTICATED'],
      });
      for (const service of SERVICES) {
        const malformed = await post(urlOf(service), { query: '{ __typename }', variables: 'not an object' }, accept);
        expect({ service, accept, status: malformed.status, codes: codesOf(malformed) }).toEqual({ service, accept, status: 400, codes: ['BAD_REQUEST'] });
      }
    }
  });

  it('answers a persisted query whose hash does not match it with BAD_REQUEST, not as a server failure', async () => {
    const request = { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } };
    for (const service of SERVICES) {
      const answer = await post(urlOf(service), request, GRAPHQL_RESPONSE_TYPE);
      expect({ service, status: answer.status, errors: answer.body.errors }).toEqual({
        service,
        status: 400,
        errors: [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }],
      });
    }
  });
});

describe('request bodies that are not JSON', () => {
  const refusedBody = async (url: string, headers: Record<string, string>) => {
    const response = await fetch(url, {
      method: 'POST',
      // The preflight header passes CSRF prevention, so the media type alone decides.
      headers: { ...(await stack.as(ADMIN)), 'apollo-require-preflight': 'true', ...headers },
      body: new TextEncoder().encode(JSON.stringify({ query: '{ __typename }' })),
    });
    return { status: response.status, accept: response.headers.get('accept'), body: await response.json() };
  };

  it.each(SERVICES)('refuses a POST without content-type, or with one that is not JSON in UTF-8, with 415 on the %s', async (service) => {
    const refusal = {
      status: 415,
      accept: 'application/json',
      body: { errors: [{ message: 'Send the operation as JSON, with the header content-type: application/json (UTF-8).', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] },
    };
    expect(await refusedBody(urlOf(service), {})).toEqual(refusal);
    expect(await refusedBody(urlOf(service), { 'content-type': 'text/plain' })).toEqual(refusal);
    expect(await refusedBody(urlOf(service), { 'content-type': 'application/json; charset=iso-8859-1' })).toEqual(refusal);
    const accepted = await refusedBody(urlOf(service), { 'content-type': 'Application/JSON; charset=UTF-8' });
    expect(accepted).toEqual({ status: 200, accept: null, body: { data: { __typename: 'Query' } } });
  });
});

describe("the gateway's query limits", () => {
  /** The one error of an operation refused for a limit: code, message and `extensions` as documented. */
  async function refusedFor(request: Record<string, unknown>, code: string) {
    const [error, ...others] = await requestError(stack.gatewayUrl, request, [code]);
    expect(others).toEqual([]);
    expect(error!.message).not.toMatch(/Syntax Error/);
    return error!;
  }

  // 14 levels deep (the limit is 12) and cheap: only the depth limit refuses it.
  let deepSelection = 'id';
  for (let level = 0; level < 4; level++) deepSelection = `facilities(first: 1) { nodes { hospital { ${deepSelection} } } }`;
  const TOO_DEEP = `query($id: ID!) { hospital(id: $id) { ${deepSelection} } }`;
  const TOO_COSTLY = '{ agencies(first: 500) { nodes { trips(first: 500) { nodes { id status } } } } }';

  it('refuses an operation over MAX_COST with QUERY_TOO_COMPLEX, naming the limit and its cost', async () => {
    const error = await refusedFor({ query: TOO_COSTLY }, 'QUERY_TOO_COMPLEX');
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 5000, actual: expect.any(Number) });
    const cost = error.extensions!.actual as number;
    expect(cost).toBeGreaterThan(5000);
    expect(error.message).toBe(`The operation's estimated cost is ${cost.toLocaleString('en-US')}; at most 5,000 is allowed. Select fewer fields or ask for smaller pages.`);
  });

  it('refuses an operation over MAX_DEPTH with QUERY_TOO_DEEP', async () => {
    const error = await refusedFor({ query: TOO_DEEP, variables: { id: network.hospitals[0]!.id } }, 'QUERY_TOO_DEEP');
    expect(error).toEqual({
      message: 'The operation nests fields 14 levels deep; at most 12 are allowed.',
      extensions: { code: 'QUERY_TOO_DEEP', limit: 12, actual: 14 },
    });
  });

  it('refuses an operation over MAX_ALIASES with QUERY_TOO_MANY_ALIASES', async () => {
    const aliases = Array.from({ length: 20 }, (_, index) => `a${index}: facility(id: $id) { id }`).join(' ');
    const error = await refusedFor({ query: `query($id: ID!) { ${aliases} }`, variables: { id: network.facilities[0]!.id } }, 'QUERY_TOO_MANY_ALIASES');
    expect(error).toEqual({
      message: 'The operation uses 20 aliases; at most 15 are allowed.',
      extensions: { code: 'QUERY_TOO_MANY_ALIASES', limit: 15, actual: 20 },
    });
  });

  it('refuses an operation over MAX_DIRECTIVES with QUERY_TOO_MANY_DIRECTIVES', async () => {
    // Aliases of __typename do not count against MAX_ALIASES, so only the directives are too many.
    const fields = Array.from({ length: 51 }, (_, index) => `t${index}: __typename @include(if: true)`).join(' ');
    const error = await refusedFor({ query: `{ ${fields} }` }, 'QUERY_TOO_MANY_DIRECTIVES');
    expect(error).toEqual({
      message: 'The operation uses 51 directives; at most 50 are allowed.',
      extensions: { code: 'QUERY_TOO_MANY_DIRECTIVES', limit: 50, actual: 51 },
    });
  });

  it('refuses a document over MAX_TOKENS with QUERY_TOO_MANY_TOKENS, where the parser stopped', async () => {
    const error = await refusedFor({ query: `{ ${'__typename '.repeat(2001)}}` }, 'QUERY_TOO_MANY_TOKENS');
    expect(error.message).toBe('The document has more than 2,000 tokens (names, values and punctuation); at most 2,000 are allowed. Send a shorter document.');
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_MANY_TOKENS', limit: 2000 });
    // The 2,001st token: the 2,000th __typename, after "{ " and 1,999 of them.
    expect(error.locations).toEqual([{ line: 1, column: 3 + 11 * 1999 }]);
  });

  it('refuses nested pages over MAX_LIST_ITEMS with QUERY_TOO_MANY_LIST_ITEMS, counting pages given in variables', async () => {
    const query = 'query($a: Int, $t: Int) { agencies(first: $a) { nodes { trips(first: $t) { nodes { id } } } } }';
    const error = await refusedFor({ query, variables: { a: 200, t: 500 } }, 'QUERY_TOO_MANY_LIST_ITEMS');
    expect(error).toEqual({
      message: 'The nested pages of this operation could hold 100,000 items; at most 10,000 are allowed. Ask for smaller pages.',
      extensions: { code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 10000, actual: 100000 },
    });
    const within = await post(stack.gatewayUrl, { query, variables: { a: 5, t: 50 } }, GRAPHQL_RESPONSE_TYPE);
    expect({ status: within.status, errors: within.body.errors }).toEqual({ status: 200, errors: undefined });
  });

  describe('over graphql-ws', () => {
    const opened: LiveConnection[] = [];
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((connection) => connection.dispose()));
    });

    /** The errors a subscription is refused with over graphql-ws (an `error` message), and over HTTP. */
    async function refusals(query: string, variables: Record<string, unknown> = {}) {
      const connection = openLiveConnection(stack.gatewayUrl, await stack.tokenFor(COORDINATOR));
      opened.push(connection);
      const subscription = connection.subscribe(query, variables);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([subscription.ended, new Promise((resolve) => (timer = setTimeout(() => resolve('still open after 15 s'), 15_000)))]);
      clearTimeout(timer);
      expect(Array.isArray(ended), `expected a graphql-ws error message, got ${JSON.stringify(ended)}`).toBe(true);
      expect(subscription.results).toEqual([]);
      const overHttp = await post(stack.gatewayUrl, { query, variables }, GRAPHQL_RESPONSE_TYPE, COORDINATOR);
      const shape = (errors: GraphQLFormattedError[]) => errors.map(({ message, extensions }) => ({ message, extensions }));
      return { live: shape(ended as GraphQLFormattedError[]), http: shape(overHttp.body.errors ?? []) };
    }

    const NESTED = (first: number, deepest: string) =>
      `subscription { tripStatusChanged { transportRequest { hospital { facilities(first: ${first}) { nodes { hospital { facilities(first: ${first}) { nodes { ${deepest} } } } } } } } } }`;

    it('refuses a subscription over MAX_COST with QUERY_TOO_COMPLEX, as HTTP does', async () => {
      const { live, http } = await refusals(NESTED(500, 'id name'));
      expect(live.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(live[0]!.message).toMatch(/^The operation's estimated cost is [\d,]+; at most 5,000 is allowed\./);
      expect(live).toEqual(http);
    });

    it('refuses a subscription over MAX_DEPTH with QUERY_TOO_DEEP, as HTTP does', async () => {
      const { live, http } = await refusals(NESTED(1, 'hospital { facilities(first: 1) { nodes { hospital { id } } } }'));
      expect(live).toEqual([{ message: 'The operation nests fields 13 levels deep; at most 12 are allowed.', extensions: { code: 'QUERY_TOO_DEEP', limit: 12, actual: 13 } }]);
      expect(live).toEqual(http);
    });

    it('refuses too many aliases, directives and tokens with their codes, as HTTP does', async () => {
      const aliases = Array.from({ length: 16 }, (_, index) => `s${index}: status`).join(' ');
      const tooManyAliases = await refusals(`subscription { tripStatusChanged { ${aliases} } }`);
      expect(tooManyAliases.live.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_MANY_ALIASES']);
      expect(tooManyAliases.live).toEqual(tooManyAliases.http);

      const included = Array.from({ length: 51 }, (_, index) => `t${index}: __typename @include(if: true)`).join(' ');
      const tooManyDirectives = await refusals(`subscription { tripStatusChanged { ${included} } }`);
      expect(tooManyDirectives.live.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_MANY_DIRECTIVES']);
      expect(tooManyDirectives.live).toEqual(tooManyDirectives.http);

      const tooManyTokens = await refusals(`subscription { tripStatusChanged { ${'status '.repeat(2001)}} }`);
      expect(tooManyTokens.live).toEqual([
        {
          message: 'The document has more than 2,000 tokens (names, values and punctuation); at most 2,000 are allowed. Send a shorter document.',
          extensions: { code: 'QUERY_TOO_MANY_TOKENS', limit: 2000 },
        },
      ]);
      expect(tooManyTokens.live).toEqual(tooManyTokens.http);
    });

    it('refuses nested pages over MAX_LIST_ITEMS given in variables with QUERY_TOO_MANY_LIST_ITEMS', async () => {
      const query = `subscription($f: Int) { tripStatusChanged { transportRequest { hospital { facilities(first: $f) { nodes { hospital { facilities(first: $f) { nodes { id } } } } } } } } }`;
      const { live, http } = await refusals(query, { f: 200 });
      expect(live).toEqual([
        {
          message: 'The nested pages of this operation could hold 40,000 items; at most 10,000 are allowed. Ask for smaller pages.',
          extensions: { code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 10000, actual: 40000 },
        },
      ]);
      expect(live).toEqual(http);
    });
  });
});
