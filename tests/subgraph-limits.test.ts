import { demo } from '@medport/domain';
import { bearer, openLiveConnection, postGraphQL, type LiveConnection } from '@medport/testing';
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TRIP_BOARD } from '../bench/operations.js';
import { startStack, type Silo, type Stack } from './support/stack.js';

// Each subgraph's own port, reached as anything on the internal network could reach it: operations over the
// subgraphs' query limits are refused there as the gateway refuses its own (the same codes, messages and statuses),
// over HTTP and over graphql-ws, before any SQL runs; and what the gateway accepts, a 500-trip board and nested pages
// fetched with one representation per parent among them, still runs on the subgraphs.

let stack: Stack;
let headers: Record<string, string>;
const network = demo.buildDemoNetwork();
const ADMIN = 'admin@center.demo';
const SILOS: Silo[] = ['hospital', 'ems', 'center'];
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

beforeAll(async () => {
  // Enough trips for a 500-trip board.
  stack = await startStack({ env: { DEMO_TRIPS: '600' } });
  headers = bearer(await stack.tokenFor(ADMIN));
  // A first answer fills what outlives a request (the center's signing keys), so the refusals below run no SQL at all.
  for (const silo of SILOS) expect((await postGraphQL(stack.subgraphs[silo].url, '{ __typename }', {}, headers)).errors).toBeUndefined();
});

afterAll(async () => {
  await stack?.stop();
});

const clearStatements = () => SILOS.forEach((silo) => stack.statements[silo].clear());
const statementsRun = () => Object.fromEntries(SILOS.map((silo) => [silo, stack.statements[silo].statements.length]));
const NO_STATEMENTS = { hospital: 0, ems: 0, center: 0 };

interface Answer {
  status: number;
  body: { data?: unknown; errors?: GraphQLFormattedError[] };
}

async function postToSubgraph(silo: Silo, request: Record<string, unknown>, accept: string): Promise<Answer> {
  const response = await fetch(stack.subgraphs[silo].url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...headers },
    body: JSON.stringify(request),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/**
 * The errors a subgraph refuses `request` with: a request error as the gateway answers one (400 for
 * application/graphql-response+json, 200 and the same body for application/json), no `data`, only query-limit codes
 * and `code` among them, and no SQL run by any silo.
 */
async function refusedBy(silo: Silo, request: Record<string, unknown>, code: string): Promise<GraphQLFormattedError> {
  clearStatements();
  const strict = await postToSubgraph(silo, request, GRAPHQL_RESPONSE_TYPE);
  const legacy = await postToSubgraph(silo, request, 'application/json');
  expect(statementsRun()).toEqual(NO_STATEMENTS);
  expect(strict.body).not.toHaveProperty('data');
  const codes = (strict.body.errors ?? []).map((error) => error.extensions?.code);
  expect(codes, JSON.stringify(strict.body).slice(0, 500)).toContain(code);
  expect(codes.every((each) => typeof each === 'string' && each.startsWith('QUERY_TOO_'))).toBe(true);
  expect({ strict: strict.status, legacy: legacy.status }).toEqual({ strict: 400, legacy: 200 });
  expect(legacy.body).toEqual(strict.body);
  return strict.body.errors!.find((error) => error.extensions?.code === code)!;
}

const aliased = (count: number, selection: string) => Array.from({ length: count }, (_, index) => `a${index}: ${selection}`).join(' ');

/** `levels` nested selections of `cycle` (which holds `{inner}` where the next level goes) around `leaf`. */
const nested = (levels: number, cycle: string, leaf: string) => Array.from({ length: levels }).reduce<string>((inner) => cycle.replace('{inner}', inner), leaf);

describe('straight to the hospital subgraph over HTTP', () => {
  it('refuses 300 aliases of facilities(first: 500) with QUERY_TOO_MANY_ALIASES, naming its limit', async () => {
    const error = await refusedBy('hospital', { query: `{ ${aliased(300, 'facilities(first: 500) { nodes { id } }')} }` }, 'QUERY_TOO_MANY_ALIASES');
    expect(error).toEqual({
      message: 'The operation uses 300 aliases; at most 30 are allowed.',
      extensions: { code: 'QUERY_TOO_MANY_ALIASES', limit: 30, actual: 300 },
    });
  });

  it('refuses facilities nested in hospitals 28 levels deep with QUERY_TOO_DEEP', async () => {
    const query = `{ ${nested(9, 'facilities(first: 1) { nodes { hospital { {inner} } } }', 'id')} }`;
    const error = await refusedBy('hospital', { query }, 'QUERY_TOO_DEEP');
    expect(error).toEqual({
      message: 'The operation nests fields 28 levels deep; at most 24 are allowed.',
      extensions: { code: 'QUERY_TOO_DEEP', limit: 24, actual: 28 },
    });
  });

  it('refuses nested pages in variables over its list limit with QUERY_TOO_MANY_LIST_ITEMS', async () => {
    const query = 'query($f: Int, $t: Int) { facilities(first: $f) { nodes { trips(first: $t) { nodes { id } } } } }';
    const error = await refusedBy('hospital', { query, variables: { f: 500, t: 500 } }, 'QUERY_TOO_MANY_LIST_ITEMS');
    expect(error).toEqual({
      message: 'The nested pages of this operation could hold 250,000 items; at most 100,000 are allowed. Ask for smaller pages.',
      extensions: { code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 100000, actual: 250000 },
    });
  });

  it('counts each representation of _entities as an item of the list the pages below it multiply', async () => {
    const representations = Array.from({ length: 1000 }, (_, index) => ({ __typename: 'Facility', id: network.facilities[index % network.facilities.length]!.id }));
    const query = 'query($representations: [_Any!]!, $t: Int) { _entities(representations: $representations) { ... on Facility { trips(first: $t) { nodes { id } } } } }';
    const error = await refusedBy('hospital', { query, variables: { representations, t: 500 } }, 'QUERY_TOO_MANY_LIST_ITEMS');
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 100000, actual: 500000 });
  });

  it('refuses a document over its token limit with QUERY_TOO_MANY_TOKENS', async () => {
    const error = await refusedBy('hospital', { query: `{ ${'__typename '.repeat(20_001)}}` }, 'QUERY_TOO_MANY_TOKENS');
    expect(error.message).toBe('The document has more than 20,000 tokens (names, values and punctuation); at most 20,000 are allowed. Send a shorter document.');
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_MANY_TOKENS', limit: 20000 });
  });
});

describe('straight to the ems and center subgraphs over HTTP', () => {
  it('refuses 300 aliases of agencies(first: 500) (ems) and of hospitals(first: 500) (center)', async () => {
    const agencies = await refusedBy('ems', { query: `{ ${aliased(300, 'agencies(first: 500) { nodes { id } }')} }` }, 'QUERY_TOO_MANY_ALIASES');
    expect(agencies.extensions).toEqual({ code: 'QUERY_TOO_MANY_ALIASES', limit: 30, actual: 300 });
    const hospitals = await refusedBy('center', { query: `{ ${aliased(300, 'hospitals(first: 500) { nodes { id } }')} }` }, 'QUERY_TOO_MANY_ALIASES');
    expect(hospitals.extensions).toEqual({ code: 'QUERY_TOO_MANY_ALIASES', limit: 30, actual: 300 });
  });

  it('refuses units nested in agencies (ems) and analytics rows in hospitals (center) too deep with QUERY_TOO_DEEP', async () => {
    const units = await refusedBy('ems', { query: `{ ${nested(9, 'units(first: 1) { nodes { agency { {inner} } } }', 'id')} }` }, 'QUERY_TOO_DEEP');
    expect(units.extensions).toEqual({ code: 'QUERY_TOO_DEEP', limit: 24, actual: 28 });
    const rows = nested(9, 'activity { rows { hospital { {inner} } } }', 'id');
    const activity = await refusedBy('center', { query: `query($id: ID!) { hospital(id: $id) { ${rows} } }`, variables: { id: network.hospitals[0]!.id } }, 'QUERY_TOO_DEEP');
    expect(activity.extensions).toEqual({ code: 'QUERY_TOO_DEEP', limit: 24, actual: 29 });
  });

  it('refuses huge pages given in variables with QUERY_TOO_MANY_LIST_ITEMS', async () => {
    const units = await refusedBy(
      'ems',
      { query: 'query($a: Int, $u: Int) { agencies(first: $a) { nodes { units(first: $u) { nodes { id } } } } }', variables: { a: 500, u: 500 } },
      'QUERY_TOO_MANY_LIST_ITEMS',
    );
    expect(units.extensions).toEqual({ code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 100000, actual: 250000 });
    const users = await refusedBy('center', { query: 'query($n: Int) { users(first: $n) { nodes { id } } }', variables: { n: 1_000_000 } }, 'QUERY_TOO_MANY_LIST_ITEMS');
    expect(users.extensions).toEqual({ code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 100000, actual: 1000000 });
  });
});

describe('straight to a subgraph over graphql-ws', () => {
  const opened: LiveConnection[] = [];
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((connection) => connection.dispose()));
  });

  /** The errors a subgraph's graphql-ws endpoint refuses a subscription with (an `error` message); no SQL ran. */
  async function refusedLive(silo: Silo, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLFormattedError[]> {
    const connection = openLiveConnection(stack.subgraphs[silo].url, await stack.tokenFor(ADMIN));
    opened.push(connection);
    clearStatements();
    const subscription = connection.subscribe(query, variables);
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([subscription.ended, new Promise((resolve) => (timer = setTimeout(() => resolve('still open after 5 s'), 5_000)))]);
    clearTimeout(timer);
    expect(Array.isArray(ended), `expected a graphql-ws error message, got ${JSON.stringify(ended)}`).toBe(true);
    expect(subscription.results).toEqual([]);
    expect(statementsRun()).toEqual(NO_STATEMENTS);
    return (ended as GraphQLFormattedError[]).map(({ message, extensions }) => ({ message, extensions }));
  }

  it('refuses 300 aliases in a subscription with QUERY_TOO_MANY_ALIASES (hospital and ems)', async () => {
    expect(await refusedLive('hospital', `subscription { tripStatusChanged { ${aliased(300, 'status')} } }`)).toEqual([
      { message: 'The operation uses 300 aliases; at most 30 are allowed.', extensions: { code: 'QUERY_TOO_MANY_ALIASES', limit: 30, actual: 300 } },
    ]);
    expect(await refusedLive('ems', `subscription { tripOffered { ${aliased(300, 'change')} } }`)).toEqual([
      { message: 'The operation uses 300 aliases; at most 30 are allowed.', extensions: { code: 'QUERY_TOO_MANY_ALIASES', limit: 30, actual: 300 } },
    ]);
  });

  it('refuses nested pages given in variables with QUERY_TOO_MANY_LIST_ITEMS', async () => {
    const query = 'subscription($f: Int) { tripStatusChanged { transportRequest { origin { trips(first: $f) { nodes { origin { trips(first: $f) { nodes { id } } } } } } } } }';
    expect(await refusedLive('hospital', query, { f: 500 })).toEqual([
      {
        message: 'The nested pages of this operation could hold 250,000 items; at most 100,000 are allowed. Ask for smaller pages.',
        extensions: { code: 'QUERY_TOO_MANY_LIST_ITEMS', limit: 100000, actual: 250000 },
      },
    ]);
  });

  it('refuses a subscription nested too deep with QUERY_TOO_DEEP', async () => {
    const query = `subscription { tripStatusChanged { transportRequest { ${nested(8, 'origin { trips(first: 1) { nodes { {inner} } } }', 'id')} } } }`;
    const codes = (await refusedLive('hospital', query)).map((error) => error.extensions?.code);
    expect(codes).toContain('QUERY_TOO_DEEP');
  });
});

describe('what the gateway accepts', () => {
  it('runs a 500-trip board across the three silos', async () => {
    const response: any = await postGraphQL(stack.gatewayUrl, TRIP_BOARD, { first: 500 }, headers);
    expect(response.errors).toBeUndefined();
    expect(response.data.transportRequests.nodes).toHaveLength(500);
  });

  it("runs nested pages at the gateway's list limit whose subgraph fetch sends one representation per parent", async () => {
    // 500 trips × 20 agency trips is the gateway's 10,000 items; the unpaged responses it does not count put one
    // agency representation per response in the hospital's fetch, several per trip.
    const query = 'query($n: Int, $t: Int) { transportRequests(first: $n) { nodes { id responses { agency { trips(first: $t) { nodes { id } } } } } } }';
    const response: any = await postGraphQL(stack.gatewayUrl, query, { n: 500, t: 20 }, headers);
    expect(response.errors).toBeUndefined();
    const responses = response.data.transportRequests.nodes.flatMap((trip: any) => trip.responses);
    expect(responses.length * 20).toBeGreaterThan(10_000);
    expect(responses.some((each: any) => each.agency.trips.nodes.length > 0)).toBe(true);
  });
});
