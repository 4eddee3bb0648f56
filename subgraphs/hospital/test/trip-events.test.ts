import { randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo, type EventContracts, type TransportStatus } from '@medport/domain';
import type { TypedEvent } from '@medport/events';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, startTestIssuer, type TestDatabase, type TestIssuer } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hospitalSubgraph, type HospitalDatabase } from '../src/index.js';
import { onTripProgressReported } from '../src/modules/transport-requests/transport-requests.events.js';

// The hospital's side of the events: what it publishes with each change, and how it applies ems's reports.

let database: TestDatabase;
let issuer: TestIssuer;
let hospital: RunningSubgraph<HospitalDatabase>;
const network = demo.buildDemoNetwork();
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);
const agencyId = network.agencies[0]!.id;

beforeAll(async () => {
  database = await createTestDatabase('hospital');
  issuer = await startTestIssuer();
  const config = loadSubgraphConfig('hospital', 0, { ...database.env, ...issuer.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  hospital = await startSubgraph(hospitalSubgraph, config);
});

afterAll(async () => {
  await hospital?.stop();
  await issuer?.close();
  await database?.drop();
});

const db = () => hospital.database.db;
const asCoordinator = async (query: string, variables: Record<string, unknown>) =>
  postGraphQL<any>(hospital.url, query, variables, bearer(await issuer.tokenForDemoUser('coordinator@hospital-1.demo')));

async function requestTrip(): Promise<string> {
  const response = await asCoordinator(`mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`, {
    input: { originFacilityId: origin!.id, destinationFacilityId: destination!.id, patientReference: `MRN-${randomUUID().slice(0, 8)}`, transportLevel: 'ALS', priority: 'URGENT' },
  });
  expect(response.errors).toBeUndefined();
  return response.data.createTransportRequest.id;
}

let position = 0;
// Reports come after the trips they are about, which are requested as the tests run: times count from the start.
const STARTED_AT = Date.now();
const minute = (offset: number) => new Date(STARTED_AT + offset * 60_000).toISOString();

/** Applies one ems report through the real handler, in a transaction, as the consumer does. */
async function report(tripId: string, status: TransportStatus, occurredAt: string, unitId: string | null = null) {
  position += 1;
  const payload: EventContracts['TripProgressReported'] = { tripId, status, agencyId, unitId, occurredAt, etaMinutes: null, reportedById: null };
  const event: TypedEvent<'TripProgressReported'> = { id: randomUUID(), type: 'TripProgressReported', aggregateId: tripId, occurredAt, payload, cursor: `1:${position}` };
  await db().transaction().execute((trx) => onTripProgressReported(trx, event));
}

async function stateOf(tripId: string) {
  const trip = await db().selectFrom('transport_requests').selectAll().where('id', '=', tripId).executeTakeFirstOrThrow();
  const history = await db().selectFrom('trip_history').select(['status', 'occurred_at']).where('transport_request_id', '=', tripId).orderBy('occurred_at').execute();
  const events = await db().selectFrom('outbox_events').select(['type', 'payload']).where('aggregate_id', '=', tripId).orderBy('position').execute();
  return { trip, history: history.map((entry) => entry.status), events: events.map((event) => `${event.type}:${(event.payload as { status?: string }).status ?? ''}`) };
}

describe('the hospital applying ems reports', () => {
  it('records a step whose report arrives after a later one, without moving the trip back', async () => {
    const tripId = await requestTrip();
    const unitId = randomUUID();
    // ACCEPTED was parked on the way; ASSIGNED arrives first, ACCEPTED once an operator retried it.
    await report(tripId, 'ASSIGNED', minute(7), unitId);
    await report(tripId, 'ACCEPTED', minute(5));
    const { trip, history, events } = await stateOf(tripId);
    expect(trip).toMatchObject({ status: 'ASSIGNED', assigned_agency_id: agencyId, assigned_unit_id: unitId });
    expect(trip.accepted_at).toEqual(new Date(minute(5)));
    expect(trip.assigned_at).toEqual(new Date(minute(7)));
    expect(history).toEqual(['REQUESTED', 'ACCEPTED', 'ASSIGNED']);
    expect(events).toEqual(['TripRequested:', 'TripStatusChanged:ASSIGNED', 'TripStatusChanged:ACCEPTED']);
  });

  it('records the time of a report that comes after a cancellation, but gives the trip to no agency', async () => {
    const tripId = await requestTrip();
    const cancelled = await asCoordinator(`mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: DUPLICATE_REQUEST, party: HOSPITAL }) { status } }`, { id: tripId });
    expect(cancelled.errors).toBeUndefined();
    // ems accepted at the moment the hospital cancelled; its report arrives after the cancellation.
    await report(tripId, 'ACCEPTED', minute(5));
    const { trip, history } = await stateOf(tripId);
    expect(trip).toMatchObject({ status: 'CANCELLED', assigned_agency_id: null, assigned_unit_id: null });
    expect(trip.accepted_at).toEqual(new Date(minute(5)));
    expect(history).toContain('ACCEPTED');
    const [late] = await db().selectFrom('trip_history').select('notes').where('transport_request_id', '=', tripId).where('status', '=', 'ACCEPTED').execute();
    expect(late!.notes).toMatch(/after the trip was cancelled/);
    // The agency that reported still cannot see the trip.
    const asAgency = await postGraphQL<any>(hospital.url, `query($id: ID!) { transportRequest(id: $id) { id } }`, { id: tripId }, bearer(await issuer.tokenForDemoUser('dispatcher@agency-1.demo')));
    expect(errorCodes(asAgency)).toEqual(['NOT_FOUND']);
  });

  it('changes nothing when a report is repeated', async () => {
    const tripId = await requestTrip();
    await report(tripId, 'ACCEPTED', minute(5));
    const before = await stateOf(tripId);
    await report(tripId, 'ACCEPTED', minute(5));
    await report(tripId, 'ACCEPTED', minute(6));
    expect(await stateOf(tripId)).toEqual(before);
  });

  it('refuses a report about a trip it never had, so that the event is parked rather than lost', async () => {
    await expect(report(randomUUID(), 'ACCEPTED', minute(5))).rejects.toThrow(/unknown to the hospital silo/);
  });
});

describe('the plan of a trip', () => {
  const UPDATE = `mutation($id: ID!, $input: UpdateTransportRequestInput!) { updateTransportRequest(id: $id, input: $input) { transportLevel notes } }`;

  it('announces a change of plan to the other silos, and keeps a change of notes to itself', async () => {
    const tripId = await requestTrip();
    expect((await asCoordinator(UPDATE, { id: tripId, input: { notes: 'Bring the family along' } })).errors).toBeUndefined();
    expect((await stateOf(tripId)).events).toEqual(['TripRequested:']);
    expect((await asCoordinator(UPDATE, { id: tripId, input: { transportLevel: 'CCT' } })).errors).toBeUndefined();
    expect((await stateOf(tripId)).events).toEqual(['TripRequested:', 'TripPlanChanged:']);
  });

  it('refuses another level of care once an agency accepted, and changes nothing', async () => {
    const tripId = await requestTrip();
    await report(tripId, 'ACCEPTED', minute(5));
    const before = await stateOf(tripId);
    const response = await asCoordinator(UPDATE, { id: tripId, input: { transportLevel: 'CCT' } });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await stateOf(tripId)).toEqual(before);
  });
});
