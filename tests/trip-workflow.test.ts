import { demo } from '@medport/domain';
import { errorCodes, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rows, siloDb, sql } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf, requestTrip as requestTripAs } from './support/trips.js';

// The trip workflow end to end through the gateway: every flow of ARCHITECTURE §3, with the state of all three
// silos checked after the events went around.

let stack: Stack;
const network = demo.buildDemoNetwork();
const hospital1 = network.hospitals[0]!;
const facilitiesOf = (hospitalId: string) => network.facilities.filter((facility) => facility.hospitalId === hospitalId);
const agency = (slug: string) => network.agencies.find((candidate) => candidate.slug === slug)!;

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const CREATE_TRIP = `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id status } }`;
const AVAILABLE_TRIPS = `query { availableTrips(first: 100) { nodes { id status transportLevel responseDeadline origin { name } hospital { name } response { status } } } }`;
const RESPOND = `mutation($tripId: ID!, $input: RespondToTripInput!) { respondToTrip(tripId: $tripId, input: $input) { status etaMinutes agency { id } } }`;
const ASSIGN_UNIT = `mutation($tripId: ID!, $unitId: ID!) { assignUnit(tripId: $tripId, unitId: $unitId) { __typename } }`;
const REPORT_PROGRESS = `mutation($tripId: ID!, $status: TransportStatus!) { reportTripProgress(tripId: $tripId, status: $status) { __typename } }`;
const TRIP = `query($id: ID!) {
  transportRequest(id: $id) {
    id status acceptedAt assignedAt pickedUpAt completedAt expiredAt
    assignedAgency { id name }
    assignedUnit { id unitNumber }
    history { status }
    cancellation { reason party }
  }
}`;

/** Requests a trip from hospital 1's main campus, which its preferred agencies 1, 2 and 3 can all serve (BLS). */
const requestTrip = async (level = 'BLS') => requestTripAs(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'), { level });

/** Waits until ems has offered the trip, so agencies can answer it. */
const offered = (tripId: string) => offersOf(stack, tripId);

const tripAsCenter = async (id: string) => (await run('admin@center.demo', TRIP, { id })).data.transportRequest;
const factOf = async (tripId: string) => (await rows(stack, 'center', sql`select * from trip_facts where trip_id = ${tripId}`))[0]!;
const emsCopyOf = async (tripId: string) => (await rows(stack, 'ems', sql`select * from trips where id = ${tripId}`))[0]!;

/** A new available unit of a demo agency (the demo's own units are busy on demo trips). */
async function newUnit(agencySlug: string, level = 'BLS'): Promise<string> {
  const response = await run(`admin@${agencySlug}.demo`, `mutation($input: CreateUnitInput!) { createUnit(input: $input) { id status } }`, {
    input: { agencyId: agency(agencySlug).id, unitNumber: `T-${Math.random().toString(36).slice(2, 8)}`, level },
  });
  expect(response.errors).toBeUndefined();
  expect(response.data.createUnit.status).toBe('AVAILABLE');
  return response.data.createUnit.id;
}

const unitStatus = async (unitId: string) => (await rows(stack, 'ems', sql`select status from units where id = ${unitId}`))[0]!.status;

/** Everything the three silos hold about one trip, to show that a refused change changed nothing anywhere. */
async function everythingAbout(tripId: string) {
  return {
    hospital: await rows(stack, 'hospital', sql`select status, version, assigned_agency_id, assigned_unit_id from transport_requests where id = ${tripId}`),
    history: await rows(stack, 'hospital', sql`select status from trip_history where transport_request_id = ${tripId} order by occurred_at, created_at`),
    ems: await rows(stack, 'ems', sql`select status, assigned_agency_id, assigned_unit_id, version from trips where id = ${tripId}`),
    responses: await rows(stack, 'ems', sql`select agency_id, status from trip_responses where trip_id = ${tripId} order by agency_id`),
    center: await rows(stack, 'center', sql`select status, accepted_at, completed_at, response_count from trip_facts where trip_id = ${tripId}`),
    outboxes: await Promise.all(
      (['hospital', 'ems', 'center'] as const).map(async (silo) => (await rows(stack, silo, sql`select count(*)::int as n from outbox_events`))[0]!.n),
    ),
  };
}

describe('trip created', () => {
  it('is counted by the center and offered to the hospital preferred agencies, then to those covering the origin', async () => {
    const tripId = await requestTrip();
    const offers = await offered(tripId);
    // Preferred agencies of hospital 1 in order (1, 2, 3), then agency 5, whose service area covers the origin.
    expect(offers.map((offer) => offer.agency_id).sort()).toEqual(
      ['agency-1', 'agency-2', 'agency-3', 'agency-5'].map((slug) => agency(slug).id).sort(),
    );
    expect(offers.every((offer) => offer.status === 'PENDING')).toBe(true);
    const fact = await eventually(async () => {
      // An ems event may reach the center first and open the fact; it is complete once TripRequested arrived.
      const [row] = await rows(stack, 'center', sql`select * from trip_facts where trip_id = ${tripId}`);
      expect(row?.requested_at).toBeTruthy();
      return row!;
    });
    expect(fact).toMatchObject({ hospital_id: hospital1.id, status: 'REQUESTED', transport_level: 'BLS' });

    const forAgency1 = await run('dispatcher@agency-1.demo', AVAILABLE_TRIPS);
    expect(forAgency1.errors).toBeUndefined();
    const offer = forAgency1.data.availableTrips.nodes.find((node: { id: string }) => node.id === tripId);
    expect(offer).toMatchObject({ status: 'REQUESTED', transportLevel: 'BLS', hospital: { name: hospital1.name }, response: { status: 'PENDING' } });
    expect(offer.origin.name).toBe(facilitiesOf(hospital1.id)[0]!.name);
    // Agency 4 serves ALS and CCT only: a BLS trip is not offered to it.
    const forAgency4 = await run('dispatcher@agency-4.demo', AVAILABLE_TRIPS);
    expect(forAgency4.data.availableTrips.nodes.map((node: { id: string }) => node.id)).not.toContain(tripId);
  });
});

describe('trip accepted, served and completed', () => {
  it('lets one agency accept, refuses the next with CONFLICT, and the hospital and center follow', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    const accepted = await run('dispatcher@agency-2.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 15 } });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.respondToTrip).toMatchObject({ status: 'ACCEPTED', etaMinutes: 15, agency: { id: agency('agency-2').id } });
    const late = await run('dispatcher@agency-1.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 5 } });
    expect(errorCodes(late)).toEqual(['CONFLICT']);

    const trip = await eventually(async () => {
      const current = await tripAsCenter(tripId);
      expect(current.status).toBe('ACCEPTED');
      return current;
    });
    expect(trip.assignedAgency).toEqual({ id: agency('agency-2').id, name: agency('agency-2').name });
    expect(trip.acceptedAt).not.toBeNull();
    expect(trip.history.map((entry: { status: string }) => entry.status)).toEqual(['REQUESTED', 'ACCEPTED']);
    const fact = await eventually(async () => {
      const row = await factOf(tripId);
      expect(row.accepted_at).not.toBeNull();
      return row;
    });
    expect(fact).toMatchObject({ status: 'ACCEPTED', agency_id: agency('agency-2').id });
    // The agencies that did not answer lost the offer.
    const responses = await rows(stack, 'ems', sql`select agency_id, status from trip_responses where trip_id = ${tripId}`);
    expect(responses.filter((response) => response.status === 'ACCEPTED').map((response) => response.agency_id)).toEqual([agency('agency-2').id]);
    expect(responses.filter((response) => response.status === 'PENDING')).toEqual([]);
  });

  it('assigns a unit and follows the crew to completion in every silo, the unit busy and then free again', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    expect((await run('dispatcher@agency-1.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 10 } })).errors).toBeUndefined();
    const unitId = await newUnit('agency-1');
    const assigned = await run('dispatcher@agency-1.demo', ASSIGN_UNIT, { tripId, unitId });
    expect(assigned.errors).toBeUndefined();
    expect(await unitStatus(unitId)).toBe('COMMITTED');

    const path = ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'AT_DESTINATION', 'COMPLETED'];
    const unitOnTheWay: string[] = [];
    for (const status of path) {
      const reported = await run('crew@agency-1.demo', REPORT_PROGRESS, { tripId, status });
      expect(reported.errors).toBeUndefined();
      unitOnTheWay.push(await unitStatus(unitId));
    }
    expect(unitOnTheWay).toEqual(['EN_ROUTE', 'ON_SCENE', 'TRANSPORTING', 'AT_DESTINATION', 'AVAILABLE']);

    const trip = await eventually(async () => {
      const current = await tripAsCenter(tripId);
      expect(current.status).toBe('COMPLETED');
      return current;
    });
    expect(trip.history.map((entry: { status: string }) => entry.status)).toEqual(['REQUESTED', 'ACCEPTED', 'ASSIGNED', ...path]);
    expect(trip.assignedUnit.id).toBe(unitId);
    for (const field of ['acceptedAt', 'assignedAt', 'pickedUpAt', 'completedAt']) expect(trip[field]).not.toBeNull();
    const fact = await eventually(async () => {
      const row = await factOf(tripId);
      expect(row.status).toBe('COMPLETED');
      return row;
    });
    for (const column of ['accepted_at', 'assigned_at', 'en_route_at', 'at_pickup_at', 'picked_up_at', 'at_destination_at', 'completed_at']) {
      expect(fact[column]).not.toBeNull();
    }
    expect((await emsCopyOf(tripId)).status).toBe('COMPLETED');

    // A completed trip goes nowhere: the crew cannot send it back on the road, and nothing changes anywhere.
    const before = await everythingAbout(tripId);
    const backwards = await run('crew@agency-1.demo', REPORT_PROGRESS, { tripId, status: 'EN_ROUTE' });
    expect(errorCodes(backwards)).toEqual(['BAD_USER_INPUT']);
    expect(await everythingAbout(tripId)).toEqual(before);
  });

  it('refuses progress from an agency that was offered the trip but is not assigned, changing nothing', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    expect((await run('dispatcher@agency-2.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 12 } })).errors).toBeUndefined();
    await eventually(async () => expect((await tripAsCenter(tripId)).status).toBe('ACCEPTED'));
    // Every silo settled (the center has learned the acceptance and the answer), so what follows is the refusal's.
    await eventually(async () => expect(await factOf(tripId)).toMatchObject({ status: 'ACCEPTED', response_count: 1 }));
    const before = await everythingAbout(tripId);
    const intruder = await run('crew@agency-1.demo', REPORT_PROGRESS, { tripId, status: 'EN_ROUTE' });
    expect(errorCodes(intruder)).toEqual(['CONFLICT']);
    expect(await everythingAbout(tripId)).toEqual(before);
  });

  it('records a decline with its reason, and insists on one', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    const noReason = await run('dispatcher@agency-3.demo', RESPOND, { tripId, input: { decision: 'DECLINE' } });
    expect(errorCodes(noReason)).toEqual(['BAD_USER_INPUT']);
    const declined = await run('dispatcher@agency-3.demo', RESPOND, { tripId, input: { decision: 'DECLINE', declineReason: 'No BLS crew until 18:00' } });
    expect(declined.errors).toBeUndefined();
    expect(declined.data.respondToTrip.status).toBe('DECLINED');
    await eventually(async () => expect((await factOf(tripId)).response_count).toBe(1));
    expect((await factOf(tripId)).decline_count).toBe(1);
  });
});

describe('trip cancelled or expired', () => {
  it('withdraws the offers and frees the assigned unit when the hospital cancels, and the center records why', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    expect((await run('dispatcher@agency-1.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 20 } })).errors).toBeUndefined();
    const unitId = await newUnit('agency-1');
    expect((await run('dispatcher@agency-1.demo', ASSIGN_UNIT, { tripId, unitId })).errors).toBeUndefined();
    // The hospital only cancels once it knows the trip is assigned; until then it may still see REQUESTED.
    await eventually(async () => expect((await tripAsCenter(tripId)).status).toBe('ASSIGNED'));

    const cancelled = await run(
      'coordinator@hospital-1.demo',
      `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: PATIENT_DISCHARGED, party: HOSPITAL }) { status } }`,
      { id: tripId },
    );
    expect(cancelled.data.cancelTransportRequest.status).toBe('CANCELLED');
    await eventually(async () => {
      expect((await emsCopyOf(tripId)).status).toBe('CANCELLED');
      expect(await unitStatus(unitId)).toBe('AVAILABLE');
      expect(await factOf(tripId)).toMatchObject({ status: 'CANCELLED', cancellation_reason: 'PATIENT_DISCHARGED', cancellation_party: 'HOSPITAL' });
    });
    const responses = await rows(stack, 'ems', sql`select status from trip_responses where trip_id = ${tripId}`);
    expect(responses.filter((response) => response.status === 'PENDING')).toEqual([]);

    // Nobody can move a cancelled trip any more: someone else ended it, so the crew's report is a CONFLICT.
    const before = await everythingAbout(tripId);
    expect(errorCodes(await run('crew@agency-1.demo', REPORT_PROGRESS, { tripId, status: 'EN_ROUTE' }))).toEqual(['CONFLICT']);
    expect(await everythingAbout(tripId)).toEqual(before);
  });

  it('carries on in every silo when the crew had the patient on board before the cancellation reached ems', async () => {
    if (stack.databases.hospital.kind !== 'postgres') throw new Error('This test holds a row lock on PostgreSQL to delay the hospital.');
    const tripId = await requestTrip();
    await offered(tripId);
    expect((await run('dispatcher@agency-1.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 20 } })).errors).toBeUndefined();
    const unitId = await newUnit('agency-1');
    expect((await run('dispatcher@agency-1.demo', ASSIGN_UNIT, { tripId, unitId })).errors).toBeUndefined();
    await eventually(async () => expect((await tripAsCenter(tripId)).status).toBe('ASSIGNED'));

    // The hospital stops hearing from ems (its consumer waits on a lock, as in an outage) while the crew loads the
    // patient; the coordinator, still seeing ASSIGNED, cancels.
    let release!: () => void;
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holding = siloDb(stack, 'hospital')
      .transaction()
      .execute(async (trx) => {
        await sql`select cursor from event_consumers where name = 'hospital.from-ems' for update`.execute(trx);
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
    await lockTaken;
    for (const status of ['EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING']) {
      expect((await run('crew@agency-1.demo', REPORT_PROGRESS, { tripId, status })).errors).toBeUndefined();
    }
    const cancelled = await run(
      'coordinator@hospital-1.demo',
      `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: SCHEDULING_CHANGE, party: HOSPITAL }) { status } }`,
      { id: tripId },
    );
    expect(cancelled.data.cancelTransportRequest.status).toBe('CANCELLED');
    release();
    await holding;

    // The patient is on board: the crew's report wins over the cancellation everywhere, and the trip ends normally.
    await eventually(async () => {
      expect((await tripAsCenter(tripId)).status).toBe('TRANSPORTING');
      expect((await factOf(tripId)).status).toBe('TRANSPORTING');
    });
    expect((await emsCopyOf(tripId)).status).toBe('TRANSPORTING');
    const trip = await tripAsCenter(tripId);
    expect(trip.cancellation).toBeNull();
    // History in the order things happened: the crew's steps came before the cancellation was decided.
    expect(trip.history.map((entry: { status: string }) => entry.status)).toEqual(['REQUESTED', 'ACCEPTED', 'ASSIGNED', 'EN_ROUTE', 'AT_PICKUP', 'TRANSPORTING', 'CANCELLED']);
    for (const status of ['AT_DESTINATION', 'COMPLETED']) {
      expect((await run('crew@agency-1.demo', REPORT_PROGRESS, { tripId, status })).errors).toBeUndefined();
    }
    await eventually(async () => {
      expect((await tripAsCenter(tripId)).status).toBe('COMPLETED');
      expect((await factOf(tripId)).status).toBe('COMPLETED');
    });
    expect(await unitStatus(unitId)).toBe('AVAILABLE');
  });

  it('refuses to accept a cancelled trip, changing nothing in any silo', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    await run('coordinator@hospital-1.demo', `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: DUPLICATE_REQUEST, party: HOSPITAL }) { status } }`, { id: tripId });
    await eventually(async () => expect((await emsCopyOf(tripId)).status).toBe('CANCELLED'));
    await eventually(async () => expect((await factOf(tripId)).status).toBe('CANCELLED'));
    const before = await everythingAbout(tripId);
    const late = await run('dispatcher@agency-2.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 8 } });
    expect(errorCodes(late)).toEqual(['CONFLICT']);
    expect(await everythingAbout(tripId)).toEqual(before);
  });

  it('expires an offer nobody accepted by its deadline, in every silo', async () => {
    const tripId = await requestTrip();
    await offered(tripId);
    // Time passes: the deadline is moved to just after the request instead of waiting an hour for it.
    await sql`update trips set response_deadline = requested_at + interval '1 millisecond' where id = ${tripId}`.execute(stack.subgraphs.ems.database.db as any);
    const trip = await eventually(async () => {
      const current = await tripAsCenter(tripId);
      expect(current.status).toBe('EXPIRED');
      return current;
    });
    expect(trip.expiredAt).not.toBeNull();
    expect(trip.history.map((entry: { status: string }) => entry.status)).toEqual(['REQUESTED', 'EXPIRED']);
    await eventually(async () => expect((await factOf(tripId)).expired_at).not.toBeNull());
    const responses = await rows(stack, 'ems', sql`select status from trip_responses where trip_id = ${tripId}`);
    expect(new Set(responses.map((response) => response.status))).toEqual(new Set(['EXPIRED']));
    expect(errorCodes(await run('dispatcher@agency-1.demo', RESPOND, { tripId, input: { decision: 'ACCEPT', etaMinutes: 8 } }))).toEqual(['CONFLICT']);
  });
});

describe('service added', () => {
  const REGISTER = `mutation($input: RegisterServiceInput!) { registerService(input: $input) { id status agency { id } } }`;
  const registration = (name: string) => ({
    name,
    capabilities: ['BLS', 'ALS'],
    equipment: ['OXYGEN'],
    contactName: 'Dana Reyes',
    phone: '+1 412 555 0199',
    email: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@example.org`,
    address: { line: '12 River Road', city: 'Pittsburgh', state: 'PA', postalCode: '15222' },
    serviceArea: { name: 'Downtown', center: { latitude: 40.44, longitude: -80.0 }, radiusKm: 30 },
  });

  it('creates the agency in ems and lets hospitals prefer it, and the new agency is offered their trips', async () => {
    const registered = await run('admin@center.demo', REGISTER, { input: registration('Monongahela Mobile Care') });
    expect(registered.errors).toBeUndefined();
    const agencyId = registered.data.registerService.agency.id;

    const inEms = await eventually(async () => {
      const response = await run('admin@center.demo', `query($id: ID!) { agency(id: $id) { id name capabilities } }`, { id: agencyId });
      expect(response.data?.agency).toBeTruthy();
      return response.data.agency;
    });
    expect(inEms).toEqual({ id: agencyId, name: 'Monongahela Mobile Care', capabilities: ['BLS', 'ALS'] });

    const preferences = [agencyId, agency('agency-1').id].map((id) => ({ agencyId: id }));
    const preferred = await eventually(async () => {
      const response = await run(
        'admin@hospital-1.demo',
        `mutation($hospitalId: ID!, $preferences: [AgencyPreferenceInput!]!) { setAgencyPreferences(hospitalId: $hospitalId, preferences: $preferences) { agency { id name } } }`,
        { hospitalId: hospital1.id, preferences },
      );
      expect(response.errors).toBeUndefined();
      return response.data.setAgencyPreferences;
    });
    expect(preferred[0].agency).toEqual({ id: agencyId, name: 'Monongahela Mobile Care' });

    const tripId = await requestTrip();
    const offers = await offered(tripId);
    expect(offers.map((offer) => offer.agency_id)).toContain(agencyId);
  });

  it('offers a suspended agency no new trips, everywhere, until the center reactivates it', async () => {
    const registrations = await run('admin@center.demo', `{ serviceRegistrations(first: 50) { nodes { id agency { id } } } }`);
    const registration = registrations.data.serviceRegistrations.nodes.find((node: { agency: { id: string } }) => node.agency.id === agency('agency-2').id);
    const SET_STATUS = `mutation($id: ID!, $status: ServiceStatus!) { setServiceStatus(id: $id, status: $status) { status } }`;
    expect(errorCodes(await run('analyst@center.demo', SET_STATUS, { id: registration.id, status: 'SUSPENDED' }))).toEqual(['FORBIDDEN']);
    const suspended = await run('admin@center.demo', SET_STATUS, { id: registration.id, status: 'SUSPENDED' });
    expect(suspended.data.setServiceStatus.status).toBe('SUSPENDED');
    await eventually(async () => {
      const [inEms] = await rows(stack, 'ems', sql`select status from agencies where id = ${agency('agency-2').id}`);
      const [inHospital] = await rows(stack, 'hospital', sql`select status from network_agencies where id = ${agency('agency-2').id}`);
      expect([inEms!.status, inHospital!.status]).toEqual(['SUSPENDED', 'SUSPENDED']);
    });
    const whileSuspended = await requestTrip();
    expect((await offered(whileSuspended)).map((offer) => offer.agency_id)).not.toContain(agency('agency-2').id);

    expect((await run('admin@center.demo', SET_STATUS, { id: registration.id, status: 'ACTIVE' })).data.setServiceStatus.status).toBe('ACTIVE');
    await eventually(async () => {
      const [inEms] = await rows(stack, 'ems', sql`select status from agencies where id = ${agency('agency-2').id}`);
      expect(inEms!.status).toBe('ACTIVE');
    });
    const afterwards = await requestTrip();
    expect((await offered(afterwards)).map((offer) => offer.agency_id)).toContain(agency('agency-2').id);
    const [audit] = await rows(stack, 'center', sql`select details from audit_log where action = 'SET_SERVICE_STATUS' and outcome = 'ALLOWED' order by occurred_at limit 1`);
    expect(audit!.details).toEqual({ before: 'ACTIVE', after: 'SUSPENDED' });
  });

  it('refuses an agency the center never registered as a preference', async () => {
    const response = await run(
      'admin@hospital-1.demo',
      `mutation($hospitalId: ID!, $preferences: [AgencyPreferenceInput!]!) { setAgencyPreferences(hospitalId: $hospitalId, preferences: $preferences) { agency { id } } }`,
      { hospitalId: hospital1.id, preferences: [{ agencyId: '00000000-0000-4000-8000-000000000001' }] },
    );
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
  });
});
