import { demo } from '@medport/domain';
import { errorCodes, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { startStack, type Stack } from './support/stack.js';
import { offersOf, requestTrip } from './support/trips.js';

// Every field the schema documents as its owner's alone, read through the gateway by real sign-ins of the demo
// accounts: the owner reads it, another tenant does not (null, empty, NOT_FOUND or FORBIDDEN, as documented).

let stack: Stack;
const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals as [demo.DemoHospital, demo.DemoHospital];
const agencyOf = (slug: string) => network.agencies.find((agency) => agency.slug === slug)!;
const agency1 = agencyOf('agency-1');
const agency2 = agencyOf('agency-2');
const userId = (email: string) => network.users.find((user) => user.email === email)!.id;

const run = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL<any>(stack.gatewayUrl, query, variables, await stack.as(email));

async function runOk(email: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await run(email, query, variables);
  expect(response.errors, `${email}: ${query.slice(0, 80)}`).toBeUndefined();
  return response.data;
}

const RESPOND = `mutation($tripId: ID!, $input: RespondToTripInput!) {
  respondToTrip(tripId: $tripId, input: $input) { agency { id } status notes }
}`;
const RESPONSES = `query($id: ID!) { transportRequest(id: $id) { responses { agency { id } status notes } } }`;

const AGENCY_1_NOTES = 'Agency 1 only: bid below cost to win the corridor';
const AGENCY_2_NOTES = 'Agency 2 only: short-staffed tonight';

/** A trip of hospital 1 that agency 2 declined and agency 1 accepted, each with private notes. */
let answeredTrip: string;
/** What agency 2's dispatcher got back from its own answer. */
let agency2Answer: { agency: { id: string }; status: string; notes: string | null };

beforeAll(async () => {
  stack = await startStack();
  answeredTrip = await requestTrip(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'));
  const offeredTo = (await offersOf(stack, answeredTrip)).map((offer) => offer.agency_id);
  expect(offeredTo).toEqual(expect.arrayContaining([agency1.id, agency2.id]));
  agency2Answer = (
    await runOk('dispatcher@agency-2.demo', RESPOND, { tripId: answeredTrip, input: { decision: 'DECLINE', declineReason: 'No crew', notes: AGENCY_2_NOTES } })
  ).respondToTrip;
  await runOk('dispatcher@agency-1.demo', RESPOND, { tripId: answeredTrip, input: { decision: 'ACCEPT', etaMinutes: 15, notes: AGENCY_1_NOTES } });
  // The hospital learns of the acceptance by event; from then on the trip is agency 1's to see.
  await eventually(async () => {
    const data = await runOk('dispatcher@agency-1.demo', `query($id: ID!) { transportRequest(id: $id) { assignedAgency { id } } }`, { id: answeredTrip });
    expect(data.transportRequest.assignedAgency.id).toBe(agency1.id);
  });
});

afterAll(async () => {
  await stack?.stop();
});

/** A trip's responses by agency id, without the agency: what is left is what the caller read of each answer. */
const byAgency = (responses: { agency: { id: string }; status: string; notes: string | null }[]) =>
  Object.fromEntries(responses.map(({ agency, ...answer }) => [agency.id, answer]));

describe('AgencyResponse.notes: the responding agency’s own records', () => {
  it('is read by the agency that wrote it and by center staff', async () => {
    expect(agency2Answer).toMatchObject({ agency: { id: agency2.id }, status: 'DECLINED', notes: AGENCY_2_NOTES });
    for (const email of ['dispatcher@agency-1.demo', 'crew@agency-1.demo']) {
      const responses = (await runOk(email, RESPONSES, { id: answeredTrip })).transportRequest.responses;
      expect(responses, email).toEqual([{ agency: { id: agency1.id }, status: 'ACCEPTED', notes: AGENCY_1_NOTES }]);
    }
    for (const email of ['analyst@center.demo', 'admin@center.demo']) {
      const responses = byAgency((await runOk(email, RESPONSES, { id: answeredTrip })).transportRequest.responses);
      expect(responses[agency1.id]?.notes, email).toBe(AGENCY_1_NOTES);
      expect(responses[agency2.id]?.notes, email).toBe(AGENCY_2_NOTES);
    }
  });

  it('is null for the hospital whose trip was answered, which still sees the answers themselves', async () => {
    const responses = byAgency((await runOk('coordinator@hospital-1.demo', RESPONSES, { id: answeredTrip })).transportRequest.responses);
    expect(responses[agency1.id]).toEqual({ status: 'ACCEPTED', notes: null });
    expect(responses[agency2.id]).toEqual({ status: 'DECLINED', notes: null });
  });

  it('is out of reach of another hospital and of an agency the trip is not assigned to', async () => {
    for (const email of ['coordinator@hospital-2.demo', 'dispatcher@agency-2.demo']) {
      const response = await run(email, RESPONSES, { id: answeredTrip });
      expect(errorCodes(response), email).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(response.data), email).not.toContain('Agency 1 only');
    }
  });
});

describe('TransportRequest.responses and TripOffer.response: an agency’s own answer only', () => {
  it('shows an agency its own answer, the trip’s hospital and the center every answer', async () => {
    const own = (await runOk('dispatcher@agency-1.demo', RESPONSES, { id: answeredTrip })).transportRequest.responses;
    expect(own.map((response: any) => response.agency.id)).toEqual([agency1.id]);
    for (const email of ['coordinator@hospital-1.demo', 'analyst@center.demo']) {
      const all = (await runOk(email, RESPONSES, { id: answeredTrip })).transportRequest.responses;
      expect(all.map((response: any) => response.agency.id), email).toEqual(expect.arrayContaining([agency1.id, agency2.id]));
    }
  });

  it('answers TripOffer.response with the caller’s agency’s answer, never another agency’s', async () => {
    const tripId = await requestTrip(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'));
    await offersOf(stack, tripId);
    for (const [email, agency] of [['dispatcher@agency-1.demo', agency1], ['dispatcher@agency-2.demo', agency2]] as const) {
      const offers = (await runOk(email, `{ availableTrips(first: 100) { nodes { id response { agency { id } status } } } }`)).availableTrips.nodes;
      const offer = offers.find((candidate: any) => candidate.id === tripId);
      expect(offer?.response, email).toEqual({ agency: { id: agency.id }, status: 'PENDING' });
    }
  });
});

describe('availableTrips: an agency’s own offers', () => {
  it('never lists a trip offered to another agency only', async () => {
    // Three Rivers Ambulance (agency 2) provides no critical care, so a CCT trip is offered to agency 1, not to it.
    const tripId = await requestTrip(stack.gatewayUrl, await stack.as('coordinator@hospital-1.demo'), { level: 'CCT' });
    const offeredTo = (await offersOf(stack, tripId)).map((offer) => offer.agency_id);
    expect(offeredTo).toContain(agency1.id);
    expect(offeredTo).not.toContain(agency2.id);
    const listed = async (email: string) => (await runOk(email, `{ availableTrips(first: 100) { nodes { id } } }`)).availableTrips.nodes.map((node: any) => node.id);
    expect(await listed('dispatcher@agency-1.demo')).toContain(tripId);
    expect(await listed('dispatcher@agency-2.demo')).not.toContain(tripId);
  });
});

describe('an agency’s units, service areas and routes', () => {
  const FLEET = `query($id: ID!) { agency(id: $id) { units(first: 50) { nodes { id } } serviceAreas { id } routes { id } } }`;

  it('are read in full by the agency’s own accounts; another agency does not even find the agency', async () => {
    for (const email of ['dispatcher@agency-1.demo', 'crew@agency-1.demo']) {
      const own = (await runOk(email, FLEET, { id: agency1.id })).agency;
      expect(own.units.nodes.length, email).toBeGreaterThan(0);
      expect(own.serviceAreas.length, email).toBeGreaterThan(0);
      expect(own.routes.length, email).toBeGreaterThan(0);
    }
    const theirs = await run('dispatcher@agency-2.demo', FLEET, { id: agency1.id });
    expect(errorCodes(theirs)).toEqual(['NOT_FOUND']);
    expect(theirs.data?.agency ?? null).toBeNull();
  });

  it('keeps another agency’s units out of `units` and `unit(id)`', async () => {
    const unitOfAgency1 = network.units.find((unit) => unit.agencyId === agency1.id)!;
    const listed = async (email: string) => (await runOk(email, `query($a: ID) { units(filter: { agencyId: $a }, first: 50) { nodes { id } } }`, { a: agency1.id })).units.nodes;
    expect((await listed('dispatcher@agency-1.demo')).length).toBeGreaterThan(0);
    expect(await listed('dispatcher@agency-2.demo')).toEqual([]);
    const UNIT = `query($id: ID!) { unit(id: $id) { id } }`;
    expect((await runOk('dispatcher@agency-1.demo', UNIT, { id: unitOfAgency1.id })).unit).toEqual({ id: unitOfAgency1.id });
    expect(errorCodes(await run('dispatcher@agency-2.demo', UNIT, { id: unitOfAgency1.id }))).toEqual(['NOT_FOUND']);
  });
});

describe('Agency.performance and Hospital.activity: a tenant’s own figures', () => {
  it('lets an agency read its own performance and refuses everyone else', async () => {
    const PERFORMANCE = `query($id: ID!) { agency(id: $id) { performance { total { tripCount } } } }`;
    expect((await runOk('dispatcher@agency-1.demo', PERFORMANCE, { id: agency1.id })).agency.performance.total.tripCount).toBeGreaterThan(0);
    const refused = await run('coordinator@hospital-1.demo', PERFORMANCE, { id: agency1.id });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.data?.agency?.performance ?? null).toBeNull();
    // Another agency does not find the agency at all.
    expect(errorCodes(await run('dispatcher@agency-2.demo', PERFORMANCE, { id: agency1.id }))).toEqual(['NOT_FOUND']);
  });

  it('lets a hospital read its own activity and refuses another hospital', async () => {
    const ACTIVITY = `query($id: ID!) { hospital(id: $id) { activity { total { tripCount } } } }`;
    expect((await runOk('coordinator@hospital-1.demo', ACTIVITY, { id: hospital1.id })).hospital.activity.total.tripCount).toBeGreaterThan(0);
    const refused = await run('coordinator@hospital-2.demo', ACTIVITY, { id: hospital1.id });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.data?.hospital?.activity ?? null).toBeNull();
  });
});

describe('a hospital’s agency preferences', () => {
  it('are read by the hospital itself and are empty for another hospital and for agencies', async () => {
    const PREFERENCES = `query($id: ID!) { agencyPreferences(hospitalId: $id) { agency { id } } hospital(id: $id) { agencyPreferences { agency { id } } } }`;
    const own = await runOk('coordinator@hospital-1.demo', PREFERENCES, { id: hospital1.id });
    const expected = network.preferences.filter((preference) => preference.hospitalId === hospital1.id).length;
    expect(own.agencyPreferences).toHaveLength(expected);
    expect(own.hospital.agencyPreferences).toHaveLength(expected);
    for (const email of ['coordinator@hospital-2.demo', 'dispatcher@agency-1.demo']) {
      const theirs = await runOk(email, PREFERENCES, { id: hospital1.id });
      expect(theirs, email).toEqual({ agencyPreferences: [], hospital: { agencyPreferences: [] } });
    }
  });
});

describe('who requested and changed a trip (the hospital’s accounts)', () => {
  it('is shown to the requesting hospital and is null for the agency serving the trip', async () => {
    const PEOPLE = `query($id: ID!) { transportRequest(id: $id) { createdBy { id } history { status updatedBy { id } } } }`;
    const coordinator = userId('coordinator@hospital-1.demo');
    const own = (await runOk('coordinator@hospital-1.demo', PEOPLE, { id: answeredTrip })).transportRequest;
    expect(own.createdBy).toEqual({ id: coordinator });
    expect(own.history[0]).toEqual({ status: 'REQUESTED', updatedBy: { id: coordinator } });
    const serving = (await runOk('dispatcher@agency-1.demo', PEOPLE, { id: answeredTrip })).transportRequest;
    expect(serving.createdBy).toBeNull();
    expect(serving.history.length).toBeGreaterThan(0);
    expect(serving.history.every((entry: any) => entry.updatedBy === null)).toBe(true);
  });
});

describe('the trips of an agency and of a facility', () => {
  it('lists an agency’s trips to the agency itself, and to a hospital only its own', async () => {
    const TRIPS = `query($id: ID!) { agency(id: $id) { trips(first: 200) { nodes { id hospital { id } } } } }`;
    const own = (await runOk('dispatcher@agency-1.demo', TRIPS, { id: agency1.id })).agency.trips.nodes;
    expect(own.map((trip: any) => trip.id)).toContain(answeredTrip);
    expect(errorCodes(await run('dispatcher@agency-2.demo', TRIPS, { id: agency1.id }))).toEqual(['NOT_FOUND']);
    // A hospital sees the agency's trips for itself only.
    const hospital2View = (await runOk('coordinator@hospital-2.demo', TRIPS, { id: agency1.id })).agency.trips.nodes;
    expect(hospital2View.every((trip: any) => trip.hospital.id === hospital2.id)).toBe(true);
    expect(hospital2View.map((trip: any) => trip.id)).not.toContain(answeredTrip);
  });

  it('lists a facility’s trips to its own hospital, not to another one', async () => {
    const origin = network.facilities.find((facility) => facility.hospitalId === hospital1.id)!;
    const TRIPS = `query($id: ID!) { facility(id: $id) { trips(first: 200) { nodes { id hospital { id } } } } }`;
    const own = (await runOk('coordinator@hospital-1.demo', TRIPS, { id: origin.id })).facility.trips.nodes;
    expect(own.map((trip: any) => trip.id)).toContain(answeredTrip);
    const theirs = (await runOk('coordinator@hospital-2.demo', TRIPS, { id: origin.id })).facility.trips.nodes;
    expect(theirs.every((trip: any) => trip.hospital.id === hospital2.id)).toBe(true);
    expect(theirs.map((trip: any) => trip.id)).not.toContain(answeredTrip);
  });
});

describe('accounts', () => {
  it('shows a hospital its own accounts only', async () => {
    const USERS = `query($h: ID) { users(filter: { hospitalId: $h }, first: 50) { nodes { id } } }`;
    expect((await runOk('coordinator@hospital-1.demo', USERS, { h: hospital1.id })).users.nodes.map((user: any) => user.id)).toContain(
      userId('coordinator@hospital-1.demo'),
    );
    expect((await runOk('coordinator@hospital-2.demo', USERS, { h: hospital1.id })).users.nodes).toEqual([]);
    expect(errorCodes(await run('coordinator@hospital-2.demo', `query($id: ID!) { user(id: $id) { id } }`, { id: userId('coordinator@hospital-1.demo') }))).toEqual([
      'NOT_FOUND',
    ]);
  });
});
