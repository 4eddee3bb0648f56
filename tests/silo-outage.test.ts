import { demo } from '@medport/domain';
import { postGraphQL, TEST_POSTGRES_URL } from '@medport/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';

// Fault isolation, the reason for the silos: with the ems database gone, hospitals keep requesting trips, and
// once it is back every trip reaches ems and the center exactly once, with nobody doing anything.

let stack: Stack;
let admin: pg.Client;
const network = demo.buildDemoNetwork();
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);
const TRIPS = 200;

beforeAll(async () => {
  stack = await startStack();
  if (stack.databases.ems.kind !== 'postgres') throw new Error('The silo outage test takes a PostgreSQL database offline; it needs PostgreSQL.');
  admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await stack?.stop();
});

const emsDatabaseName = () => new URL(stack.databases.ems.url!).pathname.slice(1);

/** The ems database refuses connections and loses the ones it had, as when its server goes down. */
async function takeEmsDatabaseDown() {
  await admin.query(`alter database ${emsDatabaseName()} allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [emsDatabaseName()]);
}

async function bringEmsDatabaseBack() {
  await admin.query(`alter database ${emsDatabaseName()} allow_connections true`);
}

describe('an ems database outage', () => {
  it('loses no trip: all 200 created meanwhile are offered in ems and counted by the center exactly once', async () => {
    await takeEmsDatabaseDown();
    const headers = await stack.as('coordinator@hospital-1.demo');
    const create = (index: number) =>
      postGraphQL<any>(
        stack.gatewayUrl,
        `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id status } }`,
        {
          input: {
            originFacilityId: origin!.id,
            destinationFacilityId: destination!.id,
            patientReference: `OUTAGE-${index}`,
            transportLevel: 'BLS',
            priority: 'ROUTINE',
          },
        },
        headers,
      );
    const tripIds: string[] = [];
    // Ten coordinators at a time, as a busy network would send them.
    for (let start = 0; start < TRIPS; start += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, offset) => create(start + offset)));
      for (const response of batch) {
        expect(response.errors).toBeUndefined();
        expect(response.data.createTransportRequest.status).toBe('REQUESTED');
        tripIds.push(response.data.createTransportRequest.id);
      }
    }
    // The center is up and counts them while ems is down.
    await eventually(async () => {
      const [counted] = await rows(stack, 'center', sql`select count(*)::int as n from trip_facts where trip_id = any(${tripIds}::uuid[])`);
      expect(counted!.n).toBe(TRIPS);
    });
    const emsStillDown = await rows(stack, 'ems', sql`select 1`).then(
      () => false,
      () => true,
    );
    expect(emsStillDown).toBe(true);

    await bringEmsDatabaseBack();
    await eventually(async () => {
      const [copies] = await rows(stack, 'ems', sql`select count(*)::int as n from trips where id = any(${tripIds}::uuid[])`);
      expect(copies!.n).toBe(TRIPS);
    }, 60_000);

    // Each trip was offered once: one TripOffered event and one set of PENDING offers per trip.
    const offeredEvents = await rows(stack, 'ems', sql`select aggregate_id, count(*)::int as n from outbox_events where type = 'TripOffered' and aggregate_id = any(${tripIds}) group by aggregate_id`);
    expect(offeredEvents.length).toBe(TRIPS);
    expect(offeredEvents.every((row) => row.n === 1)).toBe(true);
    const offers = await rows(stack, 'ems', sql`select trip_id, count(*)::int as n from trip_responses where trip_id = any(${tripIds}::uuid[]) group by trip_id`);
    expect(offers.length).toBe(TRIPS);
    expect(new Set(offers.map((row) => row.n))).toEqual(new Set([4]));

    // Exactly once on both sides, by event id: every TripRequested applied once in ems and once in the center.
    const requested = await rows(stack, 'hospital', sql`select id from outbox_events where type = 'TripRequested' and aggregate_id = any(${tripIds})`);
    expect(requested.length).toBe(TRIPS);
    const ids = requested.map((row) => row.id);
    for (const [silo, consumer] of [['ems', 'ems.from-hospital'], ['center', 'center.from-hospital']] as const) {
      const consumed = await rows(stack, silo, sql`select event_id from consumed_events where consumer = ${consumer} and event_id = any(${ids}::uuid[])`);
      expect(new Set(consumed.map((row) => row.event_id)).size).toBe(TRIPS);
      expect(consumed.length).toBe(TRIPS);
    }
    const [facts] = await rows(stack, 'center', sql`select count(*)::int as n from trip_facts where trip_id = any(${tripIds}::uuid[])`);
    expect(facts!.n).toBe(TRIPS);
    // An outage is nobody's fault: nothing was parked.
    for (const silo of ['hospital', 'ems', 'center'] as const) {
      expect(await rows(stack, silo, sql`select id from parked_events`)).toEqual([]);
    }
  });
});
