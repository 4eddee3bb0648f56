import { demo, newId } from '@medport/domain';
import { publishEvent } from '@medport/events';
import { errorCodes, postGraphQL } from '@medport/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, siloDb, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';

// What an operator sees of event delivery through the gateway: consumers, a parked poison event and its retry,
// and a whole-network replay that changes nothing.

let stack: Stack;
const network = demo.buildDemoNetwork();
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);

beforeAll(async () => {
  // Two quick attempts before parking, so the poison event is parked in milliseconds.
  stack = await startStack({ env: { EVENT_MAX_ATTEMPTS: '2', EVENT_RETRY_BASE_MS: '5', EVENT_RETRY_MAX_MS: '20' } });
});

afterAll(async () => {
  await stack?.stop();
});

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

async function acceptedTrip(): Promise<string> {
  const created = await run('coordinator@hospital-1.demo', `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`, {
    input: { originFacilityId: origin!.id, destinationFacilityId: destination!.id, patientReference: `MRN-${Math.random().toString(36).slice(2, 9)}`, transportLevel: 'BLS', priority: 'URGENT' },
  });
  const tripId = created.data.createTransportRequest.id;
  await eventually(async () => {
    const answer = await run('dispatcher@agency-1.demo', `mutation($tripId: ID!) { respondToTrip(tripId: $tripId, input: { decision: ACCEPT, etaMinutes: 9 }) { status } }`, { tripId });
    expect(answer.errors).toBeUndefined();
  });
  await eventually(async () => {
    const [trip] = await rows(stack, 'hospital', sql`select status from transport_requests where id = ${tripId}`);
    expect(trip!.status).toBe('ACCEPTED');
  });
  return tripId;
}

const PARKED = `query { hospitalParkedEvents(first: 10) { nodes { id consumer eventType event error attempts resolvedAt } } }`;
const CONSUMERS = `query { hospitalEventConsumers { name source cursor appliedCount parkedCount lastError } }`;

describe('event delivery, as a center administrator sees it', () => {
  it('parks an event that keeps failing, shows it with its error, lets events behind it flow and retries it on demand', async () => {
    // ems reports progress on a trip the hospital never had: the hospital's handler refuses it every time.
    const unknownTrip = newId();
    await (siloDb(stack, 'ems') as Kysely<any>).transaction().execute((trx) =>
      publishEvent(trx, 'TripProgressReported', unknownTrip, {
        tripId: unknownTrip,
        status: 'ACCEPTED',
        agencyId: network.agencies[0]!.id,
        unitId: null,
        occurredAt: new Date().toISOString(),
        etaMinutes: 10,
        reportedById: null,
      }),
    );

    const parked = await eventually(async () => {
      const response = await run('admin@center.demo', PARKED);
      expect(response.errors).toBeUndefined();
      const [node] = response.data.hospitalParkedEvents.nodes;
      expect(node).toBeDefined();
      return node;
    });
    expect(parked).toMatchObject({ consumer: 'hospital.from-ems', eventType: 'TripProgressReported', attempts: 2, resolvedAt: null });
    expect(parked.error).toContain(`Transport request ${unknownTrip} is unknown to the hospital silo`);
    expect(JSON.parse(parked.event).payload.tripId).toBe(unknownTrip);

    const consumers = await run('admin@center.demo', CONSUMERS);
    const fromEms = consumers.data.hospitalEventConsumers.find((consumer: { name: string }) => consumer.name === 'hospital.from-ems');
    expect(fromEms).toMatchObject({ source: 'ems', parkedCount: 1 });

    // The events behind it flow: an acceptance made after it reaches the hospital.
    await acceptedTrip();

    // The cause is still there, so a retry fails again: the event stays parked with one more attempt.
    const retried = await run('admin@center.demo', `mutation($id: ID!) { retryHospitalParkedEvent(id: $id) { resolvedAt attempts error } }`, { id: parked.id });
    expect(retried.errors).toBeUndefined();
    expect(retried.data.retryHospitalParkedEvent).toMatchObject({ resolvedAt: null, attempts: 3 });
  });

  it('shows a parked event to operators with the patient data of its payload left out', async () => {
    // A plan change of a trip ems never received parks in ems until its TripRequested arrives.
    const unknownTrip = newId();
    await (siloDb(stack, 'hospital') as Kysely<any>).transaction().execute((trx) =>
      publishEvent(trx, 'TripPlanChanged', unknownTrip, {
        tripId: unknownTrip,
        hospitalId: network.hospitals[0]!.id,
        version: 2,
        destinationFacilityId: destination!.id,
        transportLevel: 'ALS',
        priority: 'URGENT',
        specialRequirements: ['VENTILATOR'],
        scheduledPickupAt: null,
      }),
    );
    const parked = await eventually(async () => {
      const response = await run('admin@center.demo', `query { emsParkedEvents(first: 10) { nodes { eventType event error } } }`);
      const node = response.data.emsParkedEvents.nodes.find((candidate: { eventType: string }) => candidate.eventType === 'TripPlanChanged');
      expect(node).toBeDefined();
      return node;
    });
    expect(parked.error).toContain('unknown to the ems silo');
    const payload = JSON.parse(parked.event).payload;
    expect(payload).toMatchObject({ tripId: unknownTrip, transportLevel: 'ALS', specialRequirements: '[patient data left out]' });
  });

  it('shows event delivery to center administrators only', async () => {
    for (const email of ['analyst@center.demo', 'coordinator@hospital-1.demo', 'dispatcher@agency-1.demo']) {
      expect(errorCodes(await run(email, CONSUMERS))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await run(email, `mutation { retryEmsParkedEvent(id: "${newId()}") { id } }`))).toEqual(['FORBIDDEN']);
    }
    expect(errorCodes(await run('admin@center.demo', `mutation { retryCenterParkedEvent(id: "${newId()}") { id } }`))).toEqual(['NOT_FOUND']);
  });

  it('changes nothing in any silo when every consumer replays its whole feed', async () => {
    const tripId = await acceptedTrip();
    await run('coordinator@hospital-1.demo', `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: SCHEDULING_CHANGE, party: HOSPITAL }) { status } }`, { id: tripId });
    await eventually(async () => {
      const [fact] = await rows(stack, 'center', sql`select status from trip_facts where trip_id = ${tripId}`);
      expect(fact!.status).toBe('CANCELLED');
      const [copy] = await rows(stack, 'ems', sql`select status from trips where id = ${tripId}`);
      expect(copy!.status).toBe('CANCELLED');
    });

    const silos = ['hospital', 'ems', 'center'] as const;
    const snapshot = async () => ({
      hospital: await rows(stack, 'hospital', sql`select id, status, version, assigned_agency_id, assigned_unit_id from transport_requests order by id`),
      history: await rows(stack, 'hospital', sql`select count(*)::int as n from trip_history`),
      agencies: await rows(stack, 'hospital', sql`select id, status from network_agencies order by id`),
      ems: await rows(stack, 'ems', sql`select id, status, assigned_agency_id, version from trips order by id`),
      responses: await rows(stack, 'ems', sql`select id, status from trip_responses order by id`),
      units: await rows(stack, 'ems', sql`select id, status from units order by id`),
      facts: await rows(stack, 'center', sql`select * from trip_facts order by trip_id`),
      outboxes: await Promise.all(silos.map(async (silo) => (await rows(stack, silo, sql`select count(*)::int as n from outbox_events`))[0]!.n)),
      parked: await Promise.all(silos.map(async (silo) => rows(stack, silo, sql`select consumer, event_id, attempts from parked_events order by event_id`))),
    });
    const cursors = async () => Promise.all(silos.map((silo) => rows(stack, silo, sql`select name, cursor from event_consumers order by name`)));
    // The network keeps moving by itself (ems expires the demo's overdue offers): wait until it rests, every
    // consumer at the end of its producer's feed.
    const feedEnd = async (silo: (typeof silos)[number]) =>
      (await rows(stack, silo, sql`select transaction_id::text || ':' || position as cursor from outbox_events order by transaction_id desc, position desc limit 1`))[0]?.cursor ?? '0:0';
    await eventually(async () => {
      const [overdue] = await rows(stack, 'ems', sql`select count(*)::int as n from trips where status = 'REQUESTED' and response_deadline < now()`);
      expect(overdue!.n).toBe(0);
      for (const silo of silos) {
        for (const consumer of await rows(stack, silo, sql`select source, cursor from event_consumers`)) {
          expect(consumer.cursor).toBe(await feedEnd(consumer.source));
        }
      }
    }, 30_000);
    const before = await snapshot();
    const positions = await cursors();

    for (const silo of silos) await sql`update event_consumers set cursor = '0:0'`.execute(siloDb(stack, silo));
    // Every consumer reads its producer's feed from the start again, and gets back to where it was.
    await eventually(async () => expect(await cursors()).toEqual(positions), 30_000);
    expect(await snapshot()).toEqual(before);
  });
});
