import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, signAccessToken, type JWK, type SigningKey } from '@medport/auth';
import { demo } from '@medport/domain';
import type { RunningGateway } from '@medport/gateway';
import { openLiveConnection, startTestIssuer, type Closed, type LiveConnection, type LiveSubscription } from '@medport/testing';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { requestTrip as requestTripAs } from './support/trips.js';

// The rules of a live connection at the gateway (graphql-ws at /graphql), against the real services: who may
// connect, how many subscriptions one connection holds, which messages and operations are refused (and that a
// refusal ends one subscription, not the connection), and what a subscriber sees when a token expires, a silo stops
// or the gateway shuts down.

let stack: Stack;
/** A second gateway on the same subgraphs with small limits: 2 subscriptions per connection, 300 ms to send init. */
let limited: RunningGateway;
const network = demo.buildDemoNetwork();
const hospital2 = network.hospitals[1]!;
const COORDINATOR = 'coordinator@hospital-1.demo';

beforeAll(async () => {
  stack = await startStack();
  limited = await stack.startGateway({ SUBSCRIPTIONS_PER_CONNECTION: '2', SUBSCRIPTION_INIT_TIMEOUT_MS: '300' });
});

afterAll(async () => {
  await limited?.stop();
  await stack?.stop();
});

/** Every connection a test opened; each is closed after its test, and the gateways are left without subscribers. */
const opened: LiveConnection[] = [];
const rawSockets: WebSocket[] = [];

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((connection) => connection.dispose()));
  for (const socket of rawSockets.splice(0)) socket.terminate();
  await eventually(async () => {
    expect(stack.gateway.subscriptionStats()).toEqual({ connections: 0, upstreams: 0, subscribers: 0 });
    expect(limited.subscriptionStats()).toEqual({ connections: 0, upstreams: 0, subscribers: 0 });
  }, 10_000);
});

/** A graphql-ws connection as an app opens it (token in connection_init, no retries), closed after the test. */
function connect(url: string, token: string | null, options: { lazy?: boolean } = {}): LiveConnection {
  const connection = openLiveConnection(url, token, options);
  opened.push(connection);
  return connection;
}

interface RawSocket {
  socket: WebSocket;
  /** Every message the server sent, parsed. */
  messages: Array<{ type: string; id?: string; payload?: unknown }>;
  open: Promise<void>;
  closed: Promise<Closed>;
  /** Resolves with the first message of `type`. */
  next(type: string): Promise<{ type: string; id?: string; payload?: unknown }>;
}

/** A bare graphql-transport-ws socket, for what the client library does not let a test do (or see). */
function rawSocket(url: string): RawSocket {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  rawSockets.push(socket);
  const messages: RawSocket['messages'] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    waiters.forEach((waiter) => waiter());
  });
  socket.on('error', () => {});
  const open = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const closed = new Promise<Closed>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return {
    socket,
    messages,
    open,
    closed,
    next: (type) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find((message) => message.type === type);
          if (found) {
            waiters.delete(check);
            resolve(found);
          }
        };
        waiters.add(check);
        void closed.then((event) => {
          waiters.delete(check);
          reject(new Error(`The socket closed (${event.code} ${event.reason}) before a ${type} message`));
        });
        check();
      }),
  };
}

/** Fails with `label` instead of hanging when `promise` does not settle in time (a guard, not a timing assertion). */
async function settles<T>(promise: Promise<T>, label: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: still pending after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` has settled by now (after the pending microtasks ran). */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/**
 * The codes of the errors a subscription ended with: an owning silo's refusal arrives as a result with errors followed
 * by completion (or as a graphql-ws error message); either way it must end it.
 */
async function endingCodes(subscription: LiveSubscription): Promise<unknown[]> {
  const ended = await settles(subscription.ended, 'the refused subscription');
  if (Array.isArray(ended)) return (ended as GraphQLFormattedError[]).map((error) => error.extensions?.code);
  expect(ended, `expected completion, got ${JSON.stringify(ended)}`).toBeNull();
  return subscription.results.flatMap(codesOf);
}

/** The codes of the errors a subscription was refused with (a graphql-ws `error` message: an array of errors). */
async function refusalCodes(subscription: LiveSubscription): Promise<unknown[]> {
  const ended = await settles(subscription.ended, 'the refused subscription');
  expect(Array.isArray(ended), `expected an error message, got ${JSON.stringify(ended)}`).toBe(true);
  expect(subscription.results).toEqual([]);
  return (ended as GraphQLFormattedError[]).map((error) => error.extensions?.code);
}

const codesOf = (result: ExecutionResult | undefined) => (result?.errors ?? []).map((error) => error.extensions?.code);

const TRIP_STATUS = `subscription($id: ID) { tripStatusChanged(transportRequestId: $id) { status previousStatus transportRequest { id status } } }`;
const TRIP_STATUS_BRIEF = `subscription { tripStatusChanged { status transportRequest { id } } }`;

/** Hospital 1 requests a trip over HTTP; its subscribers receive it as REQUESTED. */
const requestTrip = async () => requestTripAs(stack.gatewayUrl, await stack.as(COORDINATOR));

/** The first result of `subscription` about `tripId` (a subscriber may also see other trips of its hospital). */
async function changeOf(subscription: LiveSubscription, tripId: string) {
  return eventually(async () => {
    const result = subscription.results.find((candidate) => candidate.data?.tripStatusChanged?.transportRequest?.id === tripId);
    expect(result, `no result for trip ${tripId} in ${JSON.stringify(subscription.results)} (ended: ${await isSettled(subscription.ended)})`).toBeDefined();
    return result!;
  }, 15_000);
}

/** Waits until the gateway holds `count` subscribers and the hospital silo as many listeners as upstreams. */
async function live(gateway: RunningGateway, count: number) {
  await eventually(async () => {
    const stats = gateway.subscriptionStats();
    expect(stats.subscribers).toBe(count);
    expect(stack.subgraphs.hospital.live.listenerCount).toBe(stats.upstreams);
  }, 15_000);
}

/** The center's signing key, read from its database: it signs every access token the stack accepts. */
async function centerSigningKey(): Promise<SigningKey> {
  await stack.tokenFor('admin@center.demo'); // The first sign-in created the key, if nothing had yet.
  const [row] = await rows(stack, 'center', sql`select kid, private_jwk, public_jwk from signing_keys where retired_at is null order by created_at desc limit 1`);
  const jwk = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as JWK;
  return { kid: row!.kid, privateJwk: jwk(row!.private_jwk), publicJwk: jwk(row!.public_jwk) };
}

function viewerOf(email: string) {
  const user = network.users.find((candidate) => candidate.email === email)!;
  return { userId: user.id, role: user.role, hospitalId: user.hospitalId, agencyId: user.agencyId };
}

describe('connection_init', () => {
  it('closes a socket that never sends connection_init with 4408', async () => {
    const raw = rawSocket(limited.url);
    await raw.open;
    const closed = await settles(raw.closed, 'the socket without connection_init');
    expect(closed.code).toBe(4408);
    expect(raw.messages).toEqual([]);
  });

  it('refuses a garbage token, a token signed with another key and no token with 4403, and serves nobody', async () => {
    const issuer = await startTestIssuer();
    try {
      const foreign = await issuer.tokenForDemoUser(COORDINATOR);
      for (const token of ['garbage', foreign, null]) {
        const connection = connect(stack.gatewayUrl, token);
        const subscription = connection.subscribe(TRIP_STATUS_BRIEF);
        const closed = await settles(connection.closed, `the connection with token ${token}`);
        expect(closed.code, `token ${token}`).toBe(4403);
        // The subscription ends with the close; nothing was delivered or opened upstream.
        expect(await settles(subscription.ended, 'the refused subscription')).toMatchObject({ code: 4403 });
        expect(subscription.results).toEqual([]);
        expect(stack.gateway.subscriptionStats().subscribers).toBe(0);
      }
      // The real token of the same account is accepted on the same gateway (the refusals were about the token).
      const accepted = connect(stack.gatewayUrl, await stack.tokenFor(COORDINATOR));
      accepted.subscribe(TRIP_STATUS_BRIEF);
      await live(stack.gateway, 1);
    } finally {
      await issuer.close();
    }
  });

  it('closes the connection with 4403 when its token expires while a subscription is active', async () => {
    const token = await signAccessToken(await centerSigningKey(), viewerOf(COORDINATOR), {
      issuer: DEFAULT_ISSUER,
      audience: DEFAULT_AUDIENCE,
      ttlSeconds: 4,
    });
    // Not lazy: the silo ends the upstream at the same expiry, and a lazy client would close its socket itself (1000)
    // once its last subscription ended.
    const connection = connect(stack.gatewayUrl, token, { lazy: false });
    const subscription = connection.subscribe(TRIP_STATUS_BRIEF);
    await live(stack.gateway, 1);
    // The subscription was accepted and active before the expiry closed anything.
    expect(await isSettled(connection.closed)).toBe(false);
    expect(await isSettled(subscription.ended)).toBe(false);

    const closed = await settles(connection.closed, 'the connection with an expiring token');
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/expired/);
    await settles(subscription.ended, 'the subscription on the expired connection');
  });
});

describe('limits', () => {
  it('refuses a subscription over the per-connection cap with TOO_MANY_SUBSCRIPTIONS; the others keep receiving', async () => {
    const connection = connect(limited.url, await stack.tokenFor(COORDINATOR), { lazy: false });
    const first = connection.subscribe(TRIP_STATUS, {});
    await live(limited, 1);
    // The second subscription is within the cap of 2: it must be served, not refused.
    const second = connection.subscribe(TRIP_STATUS_BRIEF);
    const secondRefusal = await Promise.race([second.ended, live(limited, 2).then(() => 'served')]);
    expect(secondRefusal, 'the second of 2 allowed subscriptions').toBe('served');

    const third = connection.subscribe(`subscription { tripStatusChanged { status } }`);
    expect(await refusalCodes(third)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    expect(limited.subscriptionStats().subscribers).toBe(2);

    const tripId = await requestTrip();
    expect((await changeOf(first, tripId)).data).toEqual({
      tripStatusChanged: { status: 'REQUESTED', previousStatus: null, transportRequest: { id: tripId, status: 'REQUESTED' } },
    });
    expect((await changeOf(second, tripId)).data).toEqual({ tripStatusChanged: { status: 'REQUESTED', transportRequest: { id: tripId } } });
    expect(await isSettled(connection.closed)).toBe(false);
  });

  it('closes the socket with 1009 when a message is larger than SUBSCRIPTION_MAX_MESSAGE_BYTES', async () => {
    const raw = rawSocket(stack.gatewayUrl);
    await raw.open;
    raw.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await stack.tokenFor(COORDINATOR)}` } }));
    await raw.next('connection_ack');
    // A valid subscription, padded past 16 KiB with a comment.
    const query = `subscription { tripStatusChanged { status } }\n# ${'x'.repeat(20_000)}`;
    raw.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    const closed = await settles(raw.closed, 'the socket that sent an oversize message');
    expect(closed.code).toBe(1009);
    expect(raw.messages.map((message) => message.type)).toEqual(['connection_ack']);
  });
});

describe('refused operations', () => {
  it('refuses invalid, too deep, non-subscription, mistyped and forbidden operations without breaking the connection', async () => {
    const connection = connect(stack.gatewayUrl, await stack.tokenFor(COORDINATOR), { lazy: false });
    const before = connection.subscribe(TRIP_STATUS_BRIEF);
    await live(stack.gateway, 1);

    // Refused at the gateway, before anything is opened upstream: a graphql-ws error message.
    expect(await refusalCodes(connection.subscribe(`subscription { tripStatusChanged { noSuchField } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const tooDeep = connection.subscribe(`subscription {
      tripStatusChanged { transportRequest { origin { hospital { facilities { nodes { hospital { facilities { nodes {
        hospital { facilities { nodes { id } } }
      } } } } } } } } }
    }`);
    const deep = await settles(tooDeep.ended, 'the too deep subscription');
    expect(Array.isArray(deep)).toBe(true);
    const depthErrors = deep as GraphQLFormattedError[];
    expect(depthErrors.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
    expect(depthErrors[0]!.message).toMatch(/levels deep; at most 12 are allowed/);

    expect(await refusalCodes(connection.subscribe(`query { hospitals(first: 1) { nodes { id } } }`))).toEqual(['BAD_REQUEST']);
    expect(await refusalCodes(connection.subscribe(`mutation { logout(refreshToken: "x") }`))).toEqual(['BAD_REQUEST']);
    expect(await refusalCodes(connection.subscribe(TRIP_STATUS, { id: { not: 'an id' } }))).toEqual(['BAD_USER_INPUT']);

    // Refused by the owning silo, in the caller's scope: a trip of hospital 2, and offers (EMS and center only).
    const otherHospitalsTrip = network.trips.find((trip) => trip.hospitalId === hospital2.id)!;
    expect(await endingCodes(connection.subscribe(TRIP_STATUS, { id: otherHospitalsTrip.id }))).toEqual(['NOT_FOUND']);
    expect(await endingCodes(connection.subscribe(`subscription { tripOffered { change offer { id } } }`))).toEqual(['FORBIDDEN']);

    // The connection survived every refusal: the subscription from before and a new one both receive the next trip.
    expect(await isSettled(connection.closed)).toBe(false);
    const after = connection.subscribe(TRIP_STATUS, {});
    await live(stack.gateway, 2);
    const tripId = await requestTrip();
    expect((await changeOf(before, tripId)).data).toEqual({ tripStatusChanged: { status: 'REQUESTED', transportRequest: { id: tripId } } });
    expect((await changeOf(after, tripId)).data?.tripStatusChanged).toMatchObject({ status: 'REQUESTED', transportRequest: { id: tripId } });
    expect(before.results.every((result) => result.errors === undefined)).toBe(true);
  });
});

describe('gateway shutdown', () => {
  it('closes its subscribers with 1001 when the gateway stops', async () => {
    const leaving = await stack.startGateway();
    let stopped = false;
    try {
      const connection = connect(leaving.url, await stack.tokenFor(COORDINATOR));
      const subscription = connection.subscribe(TRIP_STATUS_BRIEF);
      await live(leaving, 1);
      await leaving.stop();
      stopped = true;
      const closed = await settles(connection.closed, 'the connection to the stopping gateway');
      expect(closed.code).toBe(1001);
      await settles(subscription.ended, 'the subscription on the stopped gateway');
      expect(subscription.results).toEqual([]);
      // Its upstream on the hospital silo was released too.
      await eventually(async () => expect(stack.subgraphs.hospital.live.listenerCount).toBe(0));
    } finally {
      if (!stopped) await leaving.stop();
    }
  });
});

// Last: it stops and restarts the hospital silo.
describe('owning silo outage', () => {
  it('ends active subscriptions with SERVICE_UNAVAILABLE, refuses new ones promptly, and serves again after a restart', async () => {
    // Not lazy: a lazy client closes its socket itself once its last subscription ended.
    const connection = connect(stack.gatewayUrl, await stack.tokenFor(COORDINATOR), { lazy: false });
    const active = connection.subscribe(TRIP_STATUS_BRIEF);
    await live(stack.gateway, 1);

    await stack.stopSubgraph('hospital');
    // The subscriber is told, then the subscription completes: it does not hang.
    expect(await settles(active.ended, 'the subscription whose silo stopped')).toBeNull();
    // Last, after any change still on its way (the outbox reader waits for every older transaction on the server,
    // and other test files write to it too), and only then.
    const told = active.results.at(-1)!;
    expect(active.results.map(codesOf)).toEqual([...active.results.slice(0, -1).map(() => []), ['SERVICE_UNAVAILABLE']]);
    expect(told.errors![0]!.extensions).toMatchObject({ serviceName: 'hospital' });

    // While the silo is down, a new subscription ends at once the same way, on the same open connection.
    const whileDown = connection.subscribe(TRIP_STATUS_BRIEF);
    expect(await settles(whileDown.ended, 'the subscription opened while the silo is down')).toBeNull();
    expect(whileDown.results.map(codesOf)).toEqual([['SERVICE_UNAVAILABLE']]);
    expect(await isSettled(connection.closed)).toBe(false);

    await stack.restartSubgraph('hospital');
    const again = connection.subscribe(TRIP_STATUS_BRIEF);
    // `stack.subgraphs.hospital` is the restarted process; `live` reads it anew each time.
    await live(stack.gateway, 1);
    const tripId = await requestTrip();
    expect((await changeOf(again, tripId)).data).toEqual({ tripStatusChanged: { status: 'REQUESTED', transportRequest: { id: tripId } } });
  });
});
