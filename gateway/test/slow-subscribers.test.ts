import { readFileSync } from 'node:fs';
import { createLogger } from '@medport/server';
import { demo } from '@medport/domain';
import { postGraphQL } from '@medport/testing';
import { parse, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../tests/support/eventually.js';
import { startStack, type Stack } from '../../tests/support/stack.js';
import { DEFAULT_SUPERGRAPH_PATH } from '../src/config.js';
import { SharedSubscriptions, type Subscriber } from '../src/live/shared-subscriptions.js';
import { SubscriptionPlanner } from '../src/live/subscription-plans.js';
import { SubgraphDataSource } from '../src/subgraph-data-source.js';

// A subscriber that stops reading (a phone whose network stalls) must not make the gateway buffer without bound:
// once it has `maxQueuedEvents` results waiting it is dropped, and the subscribers it shared an upstream with go on.

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

async function requestTrip(token: string): Promise<string> {
  const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === hospital1.id);
  const response = await postGraphQL<any>(
    stack.gatewayUrl,
    `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`,
    { input: { originFacilityId: origin!.id, destinationFacilityId: destination!.id, patientReference: 'MRN-SLOW-1', transportLevel: 'BLS', priority: 'URGENT' } },
    { authorization: `Bearer ${token}` },
  );
  expect(response.errors).toBeUndefined();
  return response.data.createTransportRequest.id;
}

describe('a subscriber that stops reading', () => {
  it('is dropped once its queue is full, while the subscribers sharing its upstream keep receiving every event', async () => {
    const logger = createLogger('slow-subscribers-test', 'silent');
    const urls = { hospital: stack.subgraphs.hospital.url, ems: stack.subgraphs.ems.url, center: stack.subgraphs.center.url };
    const dataSources = Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, new SubgraphDataSource(name, url)]));
    const planner = new SubscriptionPlanner(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8'), dataSources, logger);
    const shared = new SharedSubscriptions({
      planner,
      subgraphUrls: Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, url.replace(/^http/, 'ws')])),
      logger,
      maxQueuedEvents: MAX_QUEUED,
      renewBeforeExpiryMs: 60_000,
    });
    const plan = planner.plan(parse(`subscription { tripStatusChanged { status transportRequest { id hospital { name } } } }`), null);

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
