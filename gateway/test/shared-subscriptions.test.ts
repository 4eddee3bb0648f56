import { readFileSync } from 'node:fs';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, signAccessToken, type JWK } from '@medport/auth';
import { createLogger } from '@medport/server';
import { demo } from '@medport/domain';
import { parse, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from '../../tests/support/eventually.js';
import { startStack, type Stack } from '../../tests/support/stack.js';
import { requestTrip as requestTripAs } from '../../tests/support/trips.js';
import { DEFAULT_SUPERGRAPH_PATH } from '../src/config.js';
import { SharedSubscriptions, type Subscriber } from '../src/live/shared-subscriptions.js';
import { SubscriptionPlanner } from '../src/live/subscription-plans.js';
import { SubgraphDataSource } from '../src/subgraph-data-source.js';

// Shared upstream subscriptions in the gateway, against the real silos. A subscriber that stops reading (a phone
// whose network stalls) must not make the gateway buffer without bound: once it has `maxQueuedEvents` results
// waiting it is dropped, and the subscribers it shared an upstream with go on. An upstream whose token expires is
// replaced with a newer member's token without losing or repeating an event.

let stack: Stack;
const network = demo.buildDemoNetwork();
const hospital1 = network.hospitals[0]!;
const MAX_QUEUED = 3;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

function sharedSubscriptions(maxQueuedEvents: number, renewBeforeExpiryMs: number) {
  const logger = createLogger('shared-subscriptions-test', 'silent');
  const urls = { hospital: stack.subgraphs.hospital.url, ems: stack.subgraphs.ems.url, center: stack.subgraphs.center.url };
  const dataSources = Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, new SubgraphDataSource(name, url)]));
  const planner = new SubscriptionPlanner(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8'), dataSources, logger);
  const shared = new SharedSubscriptions({
    planner,
    subgraphUrls: Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, url.replace(/^http/, 'ws')])),
    logger,
    maxQueuedEvents,
    renewBeforeExpiryMs,
  });
  const plan = planner.plan(parse(`subscription { tripStatusChanged { status transportRequest { id hospital { name } } } }`), null);
  return { shared, plan };
}

const requestTrip = (token: string) => requestTripAs(stack.gatewayUrl, { authorization: `Bearer ${token}` });

describe('a subscriber that stops reading', () => {
  it('is dropped once its queue is full, while the subscribers sharing its upstream keep receiving every event', async () => {
    const { shared, plan } = sharedSubscriptions(MAX_QUEUED, 60_000);

    const token = await stack.tokenFor('coordinator@hospital-1.demo');
    const session = { viewer: { userId: 'u', role: 'HOSPITAL_STAFF' as const, hospitalId: hospital1.id, agencyId: null }, expiresAt: new Date(Date.now() + 600_000) };
    const dropped: string[] = [];
    const subscriber = (name: string): Subscriber => ({ session, token, dropAsTooSlow: () => dropped.push(name) });
    const stalled = shared.join('same-group', plan, {}, subscriber('stalled'));
    const reader = shared.join('same-group', plan, {}, subscriber('reader'));
    expect(shared.stats()).toEqual({ upstreams: 1, subscribers: 2 });
    await eventually(async () => expect(stack.subgraphs.hospital.live.listenerCount).toBe(1));

    // The reader reads everything as it comes; the stalled one never calls next().
    const read: ExecutionResult[] = [];
    const reading = (async () => {
      for await (const result of reader) read.push(result);
    })();
    const trips: string[] = [];
    for (let index = 0; index <= MAX_QUEUED; index++) trips.push(await requestTrip(token));

    await eventually(async () => expect(dropped).toEqual(['stalled']));
    await eventually(async () => {
      const received = read.map((result) => (result.data as any)?.tripStatusChanged.transportRequest.id);
      expect(trips.every((trip) => received.includes(trip))).toBe(true);
    });
    // Dropped: its queue was emptied and ended, it left the group, and nothing more is kept for it.
    expect(await stalled.next()).toEqual({ value: undefined, done: true });
    expect(shared.stats()).toEqual({ upstreams: 1, subscribers: 1 });
    expect(read.every((result) => (result.data as any).tripStatusChanged.transportRequest.hospital.name === hospital1.name)).toBe(true);

    await reader.return!();
    await reading;
    expect(shared.stats()).toEqual({ upstreams: 0, subscribers: 0 });
    await eventually(async () => expect(stack.subgraphs.hospital.live.listenerCount).toBe(0));
  });
});

describe('an upstream whose token expires', () => {
  it('is replaced with a newer member token before it ends, and every event reaches the members exactly once, in order', async () => {
    // The center's signing key, to sign a token that expires within seconds.
    await stack.tokenFor('admin@center.demo');
    const [key] = await rows(stack, 'center', sql`select kid, private_jwk, public_jwk from signing_keys where retired_at is null order by created_at desc limit 1`);
    const jwk = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as JWK;
    const coordinator = network.users.find((user) => user.email === 'coordinator@hospital-1.demo')!;
    const viewer = { userId: coordinator.id, role: coordinator.role, hospitalId: coordinator.hospitalId, agencyId: coordinator.agencyId };
    const shortToken = await signAccessToken({ kid: key!.kid, privateJwk: jwk(key!.private_jwk), publicJwk: jwk(key!.public_jwk) }, viewer, {
      issuer: DEFAULT_ISSUER,
      audience: DEFAULT_AUDIENCE,
      ttlSeconds: 5,
    });
    const longToken = await stack.tokenFor('coordinator@hospital-1.demo');

    // Renewal is due 4 s before the first member's token expires, i.e. about 1 s after the upstream opened with it.
    const { shared, plan } = sharedSubscriptions(100, 4_000);
    const member = (token: string, seconds: number): Subscriber => ({
      session: { viewer, expiresAt: new Date(Date.now() + seconds * 1000) },
      token,
      dropAsTooSlow: () => {
        throw new Error('not expected to be too slow');
      },
    });
    const first = shared.join('renewal', plan, {}, member(shortToken, 5));
    const second = shared.join('renewal', plan, {}, member(longToken, 600));
    await eventually(async () => expect(stack.subgraphs.hospital.live.listenerCount).toBe(1));
    const received = (iterator: AsyncIterableIterator<ExecutionResult>) => {
      const ids: string[] = [];
      void (async () => {
        for await (const result of iterator) ids.push((result.data as any)?.tripStatusChanged.transportRequest.id ?? JSON.stringify(result.errors));
      })();
      return ids;
    };
    const byFirst = received(first);
    const bySecond = received(second);

    // Trips before, during and after the overlap: the renewed upstream opens, both run, the old one is closed by the
    // silo when its token expires (about 5 s in), and the new one carries on alone.
    const trips: string[] = [];
    let sawOverlap = false;
    const until = Date.now() + 7_000;
    while (Date.now() < until) {
      trips.push(await requestTrip(longToken));
      if (stack.subgraphs.hospital.live.listenerCount === 2) sawOverlap = true;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(sawOverlap).toBe(true);
    await eventually(async () => expect(stack.subgraphs.hospital.live.listenerCount).toBe(1));
    for (const ids of [byFirst, bySecond]) {
      await eventually(async () => expect(trips.every((trip) => ids.includes(trip))).toBe(true));
      // Exactly once and in order (other trips of the demo network may come in between).
      const ours = ids.filter((id) => trips.includes(id));
      expect(ours).toEqual(trips);
    }
    expect(shared.stats()).toEqual({ upstreams: 1, subscribers: 2 });
    await first.return!();
    await second.return!();
    expect(shared.stats()).toEqual({ upstreams: 0, subscribers: 0 });
  });
});
