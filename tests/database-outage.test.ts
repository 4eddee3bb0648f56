import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, generateSigningKey, signAccessToken } from '@medport/auth';
import { demo } from '@medport/domain';
import { bearer, openLiveConnection, postGraphQL, TEST_POSTGRES_URL, type GraphQLResponse, type LiveConnection } from '@medport/testing';
import type { GraphQLFormattedError } from 'graphql';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { startStack, type Silo, type Stack } from './support/stack.js';

// A silo whose own database is down says so, as the gateway does for a silo it cannot reach: SERVICE_UNAVAILABLE
// naming the silo, from the subgraph itself and through the gateway, within a couple of seconds; its /ready is 503
// and the gateway's lists it as unavailable; and once the database is back everything answers again by itself.

let stack: Stack;
let admin: pg.Client;
const network = demo.buildDemoNetwork();
const SILOS: Silo[] = ['hospital', 'ems', 'center'];
const ADMIN = 'admin@center.demo';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

/** A root field each silo answers from its own database alone. */
const OWNED_QUERY: Record<Silo, string> = {
  hospital: '{ facilities(first: 2) { nodes { id name } } }',
  ems: '{ agencies(first: 2) { nodes { id name } } }',
  center: '{ hospitals(first: 2) { nodes { id name } } }',
};

/** A nullable root field of each silo: when it fails, the rest of the answer stays. */
const NULLABLE_QUERY: Record<Silo, string> = {
  hospital: `facility(id: "${network.facilities[0]!.id}") { name }`,
  ems: `agency(id: "${network.agencies[0]!.id}") { name }`,
  center: `hospital(id: "${network.hospitals[0]!.id}") { name }`,
};

/** The longest a request may take to report a database that is down. */
const PROMPT_MS = 3_000;

beforeAll(async () => {
  stack = await startStack();
  if (SILOS.some((silo) => stack.databases[silo].kind !== 'postgres')) throw new Error('The database outage test takes PostgreSQL databases offline; it needs PostgreSQL.');
  admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  // Signed in before any outage: signing in needs the center's database.
  await Promise.all([ADMIN, 'coordinator@hospital-1.demo', 'dispatcher@agency-1.demo'].map((email) => stack.tokenFor(email)));
});

const down = new Set<Silo>();

afterEach(async () => {
  for (const silo of down) await bringDatabaseBack(silo);
});

afterAll(async () => {
  await admin?.end();
  await stack?.stop();
});

const databaseNameOf = (silo: Silo) => new URL(stack.databases[silo].url!).pathname.slice(1);

/** The silo's database refuses connections and loses the ones it had, as when its server goes down. */
async function takeDatabaseDown(silo: Silo) {
  down.add(silo);
  await admin.query(`alter database ${databaseNameOf(silo)} allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [databaseNameOf(silo)]);
}

async function bringDatabaseBack(silo: Silo) {
  await admin.query(`alter database ${databaseNameOf(silo)} allow_connections true`);
  down.delete(silo);
}

const subgraphUrl = (silo: Silo) => stack.subgraphs[silo].url;

/** One POST accepting `accept`, as the admin unless `headers` say otherwise, timed. */
async function post(url: string, query: string, options: { variables?: Record<string, unknown>; headers?: Record<string, string>; accept?: string } = {}) {
  const started = Date.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.accept ? { accept: options.accept } : {}), ...(options.headers ?? (await stack.as(ADMIN))) },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: GraphQLFormattedError[] };
  return { status: response.status, body, ms: Date.now() - started };
}

/** Every error of an answer is SERVICE_UNAVAILABLE naming `silo` and its database, and it came promptly. */
function expectDatabaseUnavailable(answer: { body: { errors?: readonly GraphQLFormattedError[] }; ms?: number }, silo: Silo) {
  const errors = answer.body.errors ?? [];
  expect(errors.length, JSON.stringify(answer.body)).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error.extensions, JSON.stringify(answer.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: silo });
    expect(error.message).toMatch(new RegExp(`${silo} database is unavailable`));
  }
  if (answer.ms !== undefined) expect(answer.ms).toBeLessThan(PROMPT_MS);
}

async function readinessOf(url: string) {
  const response = await fetch(new URL('/ready', url));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const allReady = { hospital: 'ready', ems: 'ready', center: 'ready' };

/** Everything answers again: the silo's own query at both doors, and every /ready. */
async function expectRecovered(silo: Silo) {
  await eventually(async () => {
    expect(await readinessOf(subgraphUrl(silo))).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await readinessOf(stack.gatewayUrl)).toEqual({ status: 200, body: { status: 'ready', subgraphs: allReady } });
    for (const url of [stack.gatewayUrl, subgraphUrl(silo)]) {
      const answer = await post(url, OWNED_QUERY[silo]);
      expect(answer.body.errors, url).toBeUndefined();
      expect(answer.status).toBe(200);
    }
  });
}

describe('a silo whose database is down', () => {
  it.each(SILOS)('the %s answers SERVICE_UNAVAILABLE naming itself, is not ready, and recovers by itself', async (silo) => {
    for (const url of [stack.gatewayUrl, subgraphUrl(silo)]) expect((await post(url, OWNED_QUERY[silo])).body.errors).toBeUndefined();
    const others = SILOS.filter((other) => other !== silo);

    await takeDatabaseDown(silo);
    try {
      for (const url of [stack.gatewayUrl, subgraphUrl(silo)]) {
        // Twice: the first request may meet a pooled connection the shutdown just cut, the second needs a new one.
        for (let attempt = 0; attempt < 2; attempt++) {
          const answer = await post(url, OWNED_QUERY[silo]);
          expectDatabaseUnavailable(answer, silo);
          // Nothing could be answered: 503 for a client that reads GraphQL's own media type, 200 for application/json.
          expect(answer.status).toBe(200);
          expect((await post(url, OWNED_QUERY[silo], { accept: GRAPHQL_RESPONSE_TYPE })).status).toBe(503);
        }
      }
      expect(await readinessOf(subgraphUrl(silo))).toEqual({ status: 503, body: { status: 'unavailable' } });
      await eventually(async () => {
        expect(await readinessOf(stack.gatewayUrl)).toEqual({ status: 200, body: { status: 'degraded', subgraphs: { ...allReady, [silo]: 'unavailable' } } });
      }, 5_000);
      // The other silos serve as before.
      for (const other of others) expect((await post(stack.gatewayUrl, OWNED_QUERY[other])).body.errors).toBeUndefined();
      // An answer that holds other silos' data keeps it, with the error naming the silo that is down.
      const mixed = await post(stack.gatewayUrl, `{ ${OWNED_QUERY[others[0]!].slice(2, -2)} ${NULLABLE_QUERY[silo]} }`, { accept: GRAPHQL_RESPONSE_TYPE });
      expect(mixed.status).toBe(200);
      expectDatabaseUnavailable(mixed, silo);
      expect(Object.values(mixed.body.data as object)).toEqual([expect.objectContaining({ nodes: expect.any(Array) }), null]);
    } finally {
      await bringDatabaseBack(silo);
    }
    await expectRecovered(silo);
  });

  it('signing in, refreshing and checking tokens answer SERVICE_UNAVAILABLE from the center while its database is down', async () => {
    const login = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken } }`;
    const refresh = `mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }`;
    const credentials = { email: 'coordinator@hospital-2.demo', password: demo.DEMO_PASSWORD };
    const signedIn = await postGraphQL<{ login: { refreshToken: string } }>(stack.gatewayUrl, login, credentials);
    expect(signedIn.errors).toBeUndefined();
    // A token signed with a key the center never published: only the center's database can say so.
    const strangerToken = await signAccessToken(await generateSigningKey(), { userId: network.users[0]!.id, role: network.users[0]!.role, hospitalId: null, agencyId: null }, {
      issuer: DEFAULT_ISSUER,
      audience: DEFAULT_AUDIENCE,
      ttlSeconds: 300,
    });

    await takeDatabaseDown('center');
    try {
      for (const url of [stack.gatewayUrl, subgraphUrl('center')]) {
        expectDatabaseUnavailable(await post(url, login, { variables: credentials, headers: {} }), 'center');
        expectDatabaseUnavailable(await post(url, refresh, { variables: { token: signedIn.data!.login.refreshToken }, headers: {} }), 'center');
        expect((await post(url, login, { variables: credentials, headers: {}, accept: GRAPHQL_RESPONSE_TYPE })).status).toBe(503);
      }
      // The center checks tokens with the keys in its own database: it cannot tell whether this one is valid.
      for (const accept of [undefined, GRAPHQL_RESPONSE_TYPE]) {
        const unchecked = await post(subgraphUrl('center'), OWNED_QUERY.center, { headers: bearer(strangerToken), ...(accept ? { accept } : {}) });
        expectDatabaseUnavailable(unchecked, 'center');
        expect(unchecked.body).not.toHaveProperty('data');
        expect(unchecked.status).toBe(accept ? 503 : 200);
      }
      // Nor can it publish its keys.
      const jwks = await fetch(new URL('/.well-known/jwks.json', subgraphUrl('center')));
      expect(jwks.status).toBe(503);
      expectDatabaseUnavailable({ body: (await jwks.json()) as { errors: GraphQLFormattedError[] } }, 'center');
      // Callers signed in before keep working with the other silos: the gateway and they verify with keys they hold.
      expect((await post(stack.gatewayUrl, OWNED_QUERY.hospital, { headers: await stack.as('coordinator@hospital-1.demo') })).body.errors).toBeUndefined();
    } finally {
      await bringDatabaseBack('center');
    }
    await eventually(async () => {
      const again = await postGraphQL(stack.gatewayUrl, refresh, { token: signedIn.data!.login.refreshToken });
      expect(again.errors).toBeUndefined();
      const unknown = await postGraphQL(subgraphUrl('center'), OWNED_QUERY.center, {}, bearer(strangerToken));
      expect(unknown.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    });
    await expectRecovered('center');
  });
});

describe('subscriptions of a silo whose database is down', () => {
  const SUBSCRIPTIONS: [Silo, string, string][] = [
    ['hospital', 'subscription { tripStatusChanged { status transportRequest { id } } }', 'coordinator@hospital-1.demo'],
    ['ems', 'subscription { tripOffered { change offer { id } } }', 'dispatcher@agency-1.demo'],
  ];
  const connections: LiveConnection[] = [];
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.dispose()));
  });

  it.each(SUBSCRIPTIONS)('end at once with SERVICE_UNAVAILABLE naming the %s, at the gateway and at the silo', async (silo, subscription, email) => {
    const token = await stack.tokenFor(email);
    await takeDatabaseDown(silo);
    try {
      for (const url of [stack.gatewayUrl, subgraphUrl(silo)]) {
        const connection = openLiveConnection(url, token);
        connections.push(connection);
        const started = Date.now();
        const live = connection.subscribe(subscription);
        const ended = await Promise.race([live.ended, new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))]);
        expect(ended, url).toBeNull();
        expect(live.results).toHaveLength(1);
        expectDatabaseUnavailable({ body: live.results[0] as GraphQLResponse, ms: Date.now() - started }, silo);
      }
    } finally {
      await bringDatabaseBack(silo);
    }
    // Once the database is back, a new subscription stays open.
    const connection = openLiveConnection(stack.gatewayUrl, token);
    connections.push(connection);
    await eventually(async () => {
      const live = connection.subscribe(subscription);
      const ended = await Promise.race([live.ended, new Promise((resolve) => setTimeout(() => resolve('still open'), 1_000))]);
      live.unsubscribe();
      expect(ended).toBe('still open');
    });
  });
});
