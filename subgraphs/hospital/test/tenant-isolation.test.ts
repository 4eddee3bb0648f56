import { randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, startTestIssuer, type TestDatabase, type TestIssuer } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hospitalSubgraph, type HospitalDatabase } from '../src/index.js';

// Acts as an attacker would: real tokens of real demo roles, straight at the hospital subgraph (no gateway in
// front), probing ids, filters, aliases, fragments and `_entities`.

let database: TestDatabase;
let issuer: TestIssuer;
let hospital: RunningSubgraph<HospitalDatabase>;

const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals as [demo.DemoHospital, demo.DemoHospital];
const [agency1, agency2] = network.agencies as [demo.DemoAgency, demo.DemoAgency];
const userOf = (email: string) => network.users.find((user) => user.email === email)!;
const facilitiesOf = (hospitalId: string) => network.facilities.filter((facility) => facility.hospitalId === hospitalId);
const tripOf = (hospitalId: string) => network.trips.find((trip) => trip.hospitalId === hospitalId)!;
const tripsAssignedTo = (agencyId: string) => network.trips.filter((trip) => trip.assignedAgencyId === agencyId);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const COORDINATOR_1 = 'coordinator@hospital-1.demo';
const COORDINATOR_2 = 'coordinator@hospital-2.demo';
const HOSPITAL_ADMIN_1 = 'admin@hospital-1.demo';
const HOSPITAL_ADMIN_2 = 'admin@hospital-2.demo';
const DISPATCHER_1 = 'dispatcher@agency-1.demo';
const CREW_1 = 'crew@agency-1.demo';
const CENTER_ADMIN = 'admin@center.demo';
const ANALYST = 'analyst@center.demo';

interface Sent {
  requestId: string;
  response: Awaited<ReturnType<typeof postGraphQL>>;
}

/** Sends one operation as a demo account, with a request id of its own so its audit rows can be told apart. */
async function send(email: string, query: string, variables: Record<string, unknown> = {}): Promise<Sent> {
  const requestId = randomUUID();
  const headers = { ...bearer(await issuer.tokenForDemoUser(email)), 'x-request-id': requestId };
  return { requestId, response: await postGraphQL(hospital.url, query, variables, headers) };
}
const as = async (email: string, query: string, variables: Record<string, unknown> = {}) => (await send(email, query, variables)).response;

const auditRowsOf = (requestId: string) =>
  hospital.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('entity_id').execute();

const countTrips = async (hospitalId?: string) => {
  let query = hospital.database.db.selectFrom('transport_requests').select((eb) => eb.fn.countAll().as('n'));
  if (hospitalId) query = query.where('hospital_id', '=', hospitalId);
  return Number((await query.executeTakeFirstOrThrow()).n);
};

const TRIP = `query Trip($id: ID!) { transportRequest(id: $id) { id hospital { id } patientReference } }`;
const LIST = `query TripPage($filter: TransportRequestFilter, $first: Int, $after: String) {
  transportRequests(filter: $filter, first: $first, after: $after) {
    nodes { id hospital { id } assignedAgency { id } patientReference }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ENTITIES = `query TripEntities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on TransportRequest { id patientReference } }
}`;
const CREATE = `mutation CreateTrip($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id hospital { id } } }`;
const UPDATE = `mutation UpdateTrip($id: ID!, $input: UpdateTransportRequestInput!) { updateTransportRequest(id: $id, input: $input) { id priority } }`;
const CANCEL = `mutation CancelTrip($id: ID!, $input: CancelTransportRequestInput!) {
  cancelTransportRequest(id: $id, input: $input) { id status cancellation { party } }
}`;

type TripNode = { id: string; hospital: { id: string }; assignedAgency: { id: string } | null; patientReference: string };

/** Every trip a caller can list, page by page; checks that each page but the last is full. */
async function listAll(email: string, filter: Record<string, unknown> = {}, first = 30): Promise<TripNode[]> {
  const seen: TripNode[] = [];
  let after: string | null = null;
  for (;;) {
    const response: any = await as(email, LIST, { filter, first, after });
    expect(response.errors).toBeUndefined();
    const page = response.data.transportRequests;
    seen.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return seen;
    expect(page.nodes).toHaveLength(first);
    after = page.pageInfo.endCursor;
  }
}

const tripInput = (originFacilityId: string, destinationFacilityId: string) => ({
  originFacilityId,
  destinationFacilityId,
  patientReference: 'MRN-777001',
  transportLevel: 'BLS',
  priority: 'ROUTINE',
});

/** A fresh REQUESTED trip of hospital-1, so a test can change or cancel it without touching others'. */
async function newHospital1Trip(): Promise<string> {
  const [origin, destination] = facilitiesOf(hospital1.id);
  const response: any = await as(COORDINATOR_1, CREATE, { input: tripInput(origin!.id, destination!.id) });
  expect(response.errors).toBeUndefined();
  return response.data.createTransportRequest.id;
}

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

describe('a hospital user and another hospital', () => {
  const foreignTrip = tripOf(hospital1.id);

  it('answers NOT_FOUND for another hospital’s trip by id, exactly as for an id that does not exist', async () => {
    const foreign = await as(COORDINATOR_2, TRIP, { id: foreignTrip.id });
    const unknown = await as(COORDINATOR_2, TRIP, { id: UNKNOWN_ID });
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
    expect(foreign.data).toEqual({ transportRequest: null });
    expect(foreign.errors![0]!.message.replace(foreignTrip.id, '<id>')).toBe(unknown.errors![0]!.message.replace(UNKNOWN_ID, '<id>'));
    // The owner, for contrast, reads it.
    expect((await as(COORDINATOR_1, TRIP, { id: foreignTrip.id })).data).toMatchObject({ transportRequest: { id: foreignTrip.id } });
  });

  it('lists only its own hospital’s trips, in full pages, however it pages', async () => {
    const trips = await listAll(COORDINATOR_2);
    expect(trips.length).toBe(await countTrips(hospital2.id));
    expect(new Set(trips.map((trip) => trip.hospital.id))).toEqual(new Set([hospital2.id]));
  });

  it('gets an empty list when it filters by another hospital', async () => {
    expect(await listAll(COORDINATOR_2, { hospitalId: hospital1.id })).toEqual([]);
    expect(await listAll(COORDINATOR_2, { hospitalId: hospital1.id, status: ['COMPLETED', 'CANCELLED', 'REQUESTED'] })).toEqual([]);
  });

  it('sees nothing of another hospital through aliases and fragments', async () => {
    const query = `query Probe($foreign: ID!, $hospitalId: ID!) {
      mine: transportRequests(first: 200) { nodes { ...Trip } }
      theirs: transportRequests(first: 200, filter: { hospitalId: $hospitalId }) { nodes { ... on TransportRequest { id patientReference } } }
      direct: transportRequest(id: $foreign) { ...Trip }
      again: transportRequest(id: $foreign) { ... on TransportRequest { id notes } }
    }
    fragment Trip on TransportRequest { id hospital { id } patientReference specialRequirements }`;
    const response: any = await as(COORDINATOR_2, query, { foreign: foreignTrip.id, hospitalId: hospital1.id });
    expect(response.data.mine.nodes.length).toBeGreaterThan(0);
    expect(response.data.mine.nodes.every((trip: TripNode) => trip.hospital.id === hospital2.id)).toBe(true);
    expect(response.data.theirs.nodes).toEqual([]);
    expect(response.data.direct).toBeNull();
    expect(response.data.again).toBeNull();
    expect(errorCodes(response)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(JSON.stringify(response)).not.toContain(foreignTrip.patientReference);
  });

  it('resolves another hospital’s trip to null in _entities, next to its own trip', async () => {
    const own = tripOf(hospital2.id);
    const representations = [foreignTrip.id, own.id, UNKNOWN_ID].map((id) => ({ __typename: 'TransportRequest', id }));
    const response: any = await as(COORDINATOR_2, ENTITIES, { representations });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toEqual([null, { id: own.id, patientReference: own.patientReference }, null]);
  });
});

describe.each([DISPATCHER_1, CREW_1])('%s', (email) => {
  const assigned = tripsAssignedTo(agency1.id);
  const otherAgency = tripsAssignedTo(agency2.id)[0]!;
  const unassigned = network.trips.find((trip) => trip.assignedAgencyId === null)!;

  it('sees exactly the trips assigned to its agency', async () => {
    expect(assigned.length).toBeGreaterThan(0);
    const trips = await listAll(email);
    expect(trips.map((trip) => trip.id).sort()).toEqual(assigned.map((trip) => trip.id).sort());
    expect(trips.every((trip) => trip.assignedAgency?.id === agency1.id)).toBe(true);
  });

  it('reads a trip assigned to its agency by id and in _entities', async () => {
    const trip = assigned[0]!;
    expect((await as(email, TRIP, { id: trip.id })).data).toEqual({
      transportRequest: { id: trip.id, hospital: { id: trip.hospitalId }, patientReference: trip.patientReference },
    });
    const response: any = await as(email, ENTITIES, { representations: [{ __typename: 'TransportRequest', id: trip.id }] });
    expect(response.data._entities).toEqual([{ id: trip.id, patientReference: trip.patientReference }]);
  });

  it('gets NOT_FOUND for a trip assigned to another agency and for an unassigned one', async () => {
    for (const trip of [otherAgency, unassigned]) {
      const response = await as(email, TRIP, { id: trip.id });
      expect(errorCodes(response), trip.id).toEqual(['NOT_FOUND']);
      expect(response.data).toEqual({ transportRequest: null });
    }
    const representations = [otherAgency, unassigned].map((trip) => ({ __typename: 'TransportRequest', id: trip.id }));
    expect(((await as(email, ENTITIES, { representations })) as any).data._entities).toEqual([null, null]);
  });

  it('gets an empty list when it filters by another agency', async () => {
    expect(await listAll(email, { assignedAgencyId: agency2.id })).toEqual([]);
  });

  it('may neither request, change nor cancel a trip, not even one assigned to its agency (FORBIDDEN)', async () => {
    const [origin, destination] = facilitiesOf(hospital1.id);
    const trip = assigned[0]!;
    expect(errorCodes(await as(email, CREATE, { input: tripInput(origin!.id, destination!.id) }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await as(email, UPDATE, { id: trip.id, input: { priority: 'EMERGENT' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await as(email, CANCEL, { id: trip.id, input: { reason: 'OTHER', party: 'EMS', notes: 'No crew' } }))).toEqual([
      'FORBIDDEN',
    ]);
  });
});

describe('center staff', () => {
  it('sees every trip of every hospital', async () => {
    const trips = await listAll(ANALYST, {}, 200);
    expect(trips.length).toBe(await countTrips());
    expect(new Set(trips.map((trip) => trip.hospital.id)).size).toBe(network.hospitals.length);
    expect((await as(ANALYST, TRIP, { id: tripOf(hospital2.id).id })).errors).toBeUndefined();
  });

  it('may not request a transport (FORBIDDEN), and nothing is written', async () => {
    const before = await countTrips();
    const [origin, destination] = facilitiesOf(hospital1.id);
    const { requestId, response } = await send(ANALYST, CREATE, { input: tripInput(origin!.id, destination!.id) });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(await countTrips()).toBe(before);
    expect(await auditRowsOf(requestId)).toMatchObject([{ action: 'CREATE_TRANSPORT_REQUEST', outcome: 'DENIED', entity_id: null }]);
  });

  it('may not change or cancel a trip unless it is a center administrator (FORBIDDEN)', async () => {
    const id = await newHospital1Trip();
    expect(errorCodes(await as(ANALYST, UPDATE, { id, input: { priority: 'EMERGENT' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await as(CENTER_ADMIN, UPDATE, { id, input: { priority: 'EMERGENT' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await as(ANALYST, CANCEL, { id, input: { reason: 'DUPLICATE_REQUEST', party: 'CENTER' } }))).toEqual(['FORBIDDEN']);
  });
});

describe('changing trips', () => {
  it('refuses a trip requested from another hospital’s facility (FORBIDDEN), and writes nothing', async () => {
    const before = await countTrips();
    const [foreignOrigin] = facilitiesOf(hospital2.id);
    const [destination] = facilitiesOf(hospital1.id);
    const { requestId, response } = await send(COORDINATOR_1, CREATE, { input: tripInput(foreignOrigin!.id, destination!.id) });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(await countTrips()).toBe(before);
    const [row] = await auditRowsOf(requestId);
    expect(row).toMatchObject({ action: 'CREATE_TRANSPORT_REQUEST', outcome: 'DENIED', details: { originFacilityId: foreignOrigin!.id, code: 'FORBIDDEN' } });
  });

  it('lets a coordinator request a trip from its own facility to another hospital, stamped with its account', async () => {
    const [origin] = facilitiesOf(hospital1.id);
    const [destination] = facilitiesOf(hospital2.id);
    const { requestId, response } = await send(COORDINATOR_1, CREATE, { input: tripInput(origin!.id, destination!.id) });
    const created = (response.data as any).createTransportRequest;
    expect(created.hospital).toEqual({ id: hospital1.id });
    const stored = await hospital.database.db.selectFrom('transport_requests').select('created_by_id').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(stored.created_by_id).toBe(userOf(COORDINATOR_1).id);
    const history = await hospital.database.db.selectFrom('trip_history').select('updated_by_id').where('transport_request_id', '=', created.id).execute();
    expect(history).toEqual([{ updated_by_id: userOf(COORDINATOR_1).id }]);
    expect(await auditRowsOf(requestId)).toMatchObject([{ action: 'CREATE_TRANSPORT_REQUEST', outcome: 'ALLOWED', entity_id: created.id }]);
  });

  it('answers NOT_FOUND to a coordinator changing or cancelling another hospital’s trip, and changes nothing', async () => {
    const id = await newHospital1Trip();
    const update = await send(COORDINATOR_2, UPDATE, { id, input: { priority: 'EMERGENT' } });
    const cancel = await send(COORDINATOR_2, CANCEL, { id, input: { reason: 'DUPLICATE_REQUEST', party: 'HOSPITAL' } });
    // Bad input for a trip it cannot see is still NOT_FOUND: the input is never looked at.
    const badInput = await send(COORDINATOR_2, UPDATE, { id, input: { specialRequirements: ['OXYGEN', 'OXYGEN'] } });
    for (const { response } of [update, cancel, badInput]) expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    const stored = await hospital.database.db.selectFrom('transport_requests').select(['status', 'priority', 'version']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'REQUESTED', priority: 'ROUTINE', version: 1 });
    expect(await auditRowsOf(update.requestId)).toMatchObject([{ action: 'UPDATE_TRANSPORT_REQUEST', outcome: 'DENIED', entity_id: id }]);
    expect(await auditRowsOf(cancel.requestId)).toMatchObject([{ action: 'CANCEL_TRANSPORT_REQUEST', outcome: 'DENIED', entity_id: id }]);
    expect(await auditRowsOf(badInput.requestId)).toMatchObject([{ action: 'UPDATE_TRANSPORT_REQUEST', outcome: 'DENIED', entity_id: id }]);
  });

  it('answers NOT_FOUND to a coordinator cancelling a seeded trip of another hospital', async () => {
    const foreign = network.trips.find((trip) => trip.hospitalId === hospital2.id && trip.status === 'REQUESTED')!;
    expect(errorCodes(await as(COORDINATOR_1, CANCEL, { id: foreign.id, input: { reason: 'DUPLICATE_REQUEST', party: 'HOSPITAL' } }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('refuses a cancellation party that does not match the caller (BAD_USER_INPUT, FAILED on record)', async () => {
    const id = await newHospital1Trip();
    const asCenter = await send(COORDINATOR_1, CANCEL, { id, input: { reason: 'DUPLICATE_REQUEST', party: 'CENTER' } });
    expect(errorCodes(asCenter.response)).toEqual(['BAD_USER_INPUT']);
    expect(await auditRowsOf(asCenter.requestId)).toMatchObject([
      { action: 'CANCEL_TRANSPORT_REQUEST', outcome: 'FAILED', entity_id: id, details: { code: 'BAD_USER_INPUT', party: 'CENTER' } },
    ]);
    expect(errorCodes(await as(CENTER_ADMIN, CANCEL, { id, input: { reason: 'DUPLICATE_REQUEST', party: 'HOSPITAL' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(errorCodes(await as(COORDINATOR_1, CANCEL, { id, input: { reason: 'DUPLICATE_REQUEST', party: 'EMS' } }))).toEqual(['BAD_USER_INPUT']);
    const stored = await hospital.database.db.selectFrom('transport_requests').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.status).toBe('REQUESTED');
  });

  it('lets a center administrator cancel any hospital’s trip for party CENTER, stamped with its account', async () => {
    const id = await newHospital1Trip();
    const { requestId, response } = await send(CENTER_ADMIN, CANCEL, { id, input: { reason: 'DUPLICATE_REQUEST', party: 'CENTER' } });
    expect(response.errors).toBeUndefined();
    expect((response.data as any).cancelTransportRequest).toEqual({ id, status: 'CANCELLED', cancellation: { party: 'CENTER' } });
    const history = await hospital.database.db
      .selectFrom('trip_history')
      .select(['status', 'updated_by_id'])
      .where('transport_request_id', '=', id)
      .orderBy('occurred_at')
      .execute();
    expect(history).toEqual([
      { status: 'REQUESTED', updated_by_id: userOf(COORDINATOR_1).id },
      { status: 'CANCELLED', updated_by_id: userOf(CENTER_ADMIN).id },
    ]);
    expect(await auditRowsOf(requestId)).toMatchObject([{ action: 'CANCEL_TRANSPORT_REQUEST', outcome: 'ALLOWED', entity_id: id }]);
  });

  it('lets the hospital’s own users change its trip, with bad input on record as FAILED', async () => {
    const id = await newHospital1Trip();
    const changed = await send(HOSPITAL_ADMIN_1, UPDATE, { id, input: { priority: 'URGENT' } });
    expect((changed.response.data as any).updateTransportRequest).toEqual({ id, priority: 'URGENT' });
    expect(await auditRowsOf(changed.requestId)).toMatchObject([
      { action: 'UPDATE_TRANSPORT_REQUEST', outcome: 'ALLOWED', entity_id: id, details: { fields: 'priority' } },
    ]);
    const bad = await send(COORDINATOR_1, UPDATE, { id, input: { specialRequirements: ['OXYGEN', 'OXYGEN'] } });
    expect(errorCodes(bad.response)).toEqual(['BAD_USER_INPUT']);
    expect(await auditRowsOf(bad.requestId)).toMatchObject([{ action: 'UPDATE_TRANSPORT_REQUEST', outcome: 'FAILED', entity_id: id }]);
  });
});

describe('facilities', () => {
  const FACILITIES = `query Facilities($hospitalId: ID) { facilities(filter: { hospitalId: $hospitalId }) { nodes { id name address { city } } } }`;
  const CREATE_FACILITY = `mutation CreateFacility($input: CreateFacilityInput!) { createFacility(input: $input) { id } }`;
  const UPDATE_FACILITY = `mutation UpdateFacility($id: ID!, $input: UpdateFacilityInput!) { updateFacility(id: $id, input: $input) { id phone } }`;
  const facilityInput = (hospitalId: string) => ({
    hospitalId,
    name: 'Northside Rehab Annex',
    type: 'REHABILITATION',
    address: { line: '1 Annex Way', city: 'Pittsburgh', state: 'PA', postalCode: '15212' },
    coordinates: { latitude: 40.47, longitude: -80.0 },
  });

  it('are readable by every signed-in role', async () => {
    for (const email of [COORDINATOR_2, DISPATCHER_1, CREW_1, ANALYST, HOSPITAL_ADMIN_1]) {
      const response: any = await as(email, FACILITIES, { hospitalId: hospital1.id });
      expect(response.errors, email).toBeUndefined();
      expect(response.data.facilities.nodes.length, email).toBe(facilitiesOf(hospital1.id).length);
    }
  });

  it('are added and changed only by the hospital’s administrators and center administrators', async () => {
    for (const email of [HOSPITAL_ADMIN_2, COORDINATOR_1, DISPATCHER_1, ANALYST]) {
      expect(errorCodes(await as(email, CREATE_FACILITY, { input: facilityInput(hospital1.id) })), email).toEqual(['FORBIDDEN']);
    }
    const created: any = await as(HOSPITAL_ADMIN_1, CREATE_FACILITY, { input: facilityInput(hospital1.id) });
    const id = created.data.createFacility.id;
    for (const email of [HOSPITAL_ADMIN_2, COORDINATOR_1, CREW_1, ANALYST]) {
      expect(errorCodes(await as(email, UPDATE_FACILITY, { id, input: { phone: '+1-412-555-9999' } })), email).toEqual(['FORBIDDEN']);
    }
    const byCenter: any = await as(CENTER_ADMIN, UPDATE_FACILITY, { id, input: { phone: '+1-412-555-0000' } });
    expect(byCenter.data.updateFacility).toEqual({ id, phone: '+1-412-555-0000' });
    const byOwner: any = await as(HOSPITAL_ADMIN_1, UPDATE_FACILITY, { id: id.toUpperCase(), input: { phone: '+1-412-555-0001' } });
    expect(byOwner.data.updateFacility).toEqual({ id, phone: '+1-412-555-0001' });
  });

  it('leaves an ALLOWED row for each facility added or changed, naming the facility', async () => {
    const created = await send(HOSPITAL_ADMIN_1, CREATE_FACILITY, { input: facilityInput(hospital1.id) });
    const id = (created.response.data as any).createFacility.id;
    expect(await auditRowsOf(created.requestId)).toMatchObject([
      {
        action: 'CREATE_FACILITY',
        entity_type: 'Facility',
        entity_id: id,
        outcome: 'ALLOWED',
        actor_id: userOf(HOSPITAL_ADMIN_1).id,
        details: { hospitalId: hospital1.id },
      },
    ]);
    const changed = await send(CENTER_ADMIN, UPDATE_FACILITY, { id, input: { phone: '+1-412-555-0002' } });
    expect((changed.response.data as any).updateFacility).toEqual({ id, phone: '+1-412-555-0002' });
    expect(await auditRowsOf(changed.requestId)).toMatchObject([
      { action: 'UPDATE_FACILITY', entity_type: 'Facility', entity_id: id, outcome: 'ALLOWED', actor_id: userOf(CENTER_ADMIN).id, details: { fields: 'phone' } },
    ]);
  });

  it('leaves a DENIED row for each refused facility change, and changes nothing', async () => {
    const foreign = facilitiesOf(hospital2.id)[0]!;
    const before = await hospital.database.db.selectFrom('facilities').selectAll().where('id', '=', foreign.id).executeTakeFirstOrThrow();
    const create = await send(HOSPITAL_ADMIN_2, CREATE_FACILITY, { input: facilityInput(hospital1.id) });
    const foreignUpdate = await send(HOSPITAL_ADMIN_1, UPDATE_FACILITY, { id: foreign.id, input: { phone: '+1-412-555-6666' } });
    const byCoordinator = await send(COORDINATOR_1, UPDATE_FACILITY, { id: facilitiesOf(hospital1.id)[0]!.id, input: { phone: '+1-412-555-7777' } });
    for (const { response } of [create, foreignUpdate, byCoordinator]) expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(await auditRowsOf(create.requestId)).toMatchObject([
      { action: 'CREATE_FACILITY', entity_type: 'Facility', entity_id: null, outcome: 'DENIED', details: { hospitalId: hospital1.id, code: 'FORBIDDEN' } },
    ]);
    expect(await auditRowsOf(foreignUpdate.requestId)).toMatchObject([
      { action: 'UPDATE_FACILITY', entity_type: 'Facility', entity_id: foreign.id, outcome: 'DENIED', actor_id: userOf(HOSPITAL_ADMIN_1).id, details: { code: 'FORBIDDEN' } },
    ]);
    expect(await auditRowsOf(byCoordinator.requestId)).toMatchObject([
      { action: 'UPDATE_FACILITY', entity_type: 'Facility', outcome: 'DENIED', actor_id: userOf(COORDINATOR_1).id, details: { code: 'FORBIDDEN' } },
    ]);
    expect(await hospital.database.db.selectFrom('facilities').selectAll().where('id', '=', foreign.id).executeTakeFirstOrThrow()).toEqual(before);
  });

  it('leaves a FAILED row for a facility change refused for its input', async () => {
    const own = facilitiesOf(hospital1.id)[0]!;
    const bad = await send(HOSPITAL_ADMIN_1, UPDATE_FACILITY, { id: own.id, input: { capabilities: ['OXYGEN', 'OXYGEN'] } });
    expect(errorCodes(bad.response)).toEqual(['BAD_USER_INPUT']);
    expect(await auditRowsOf(bad.requestId)).toMatchObject([
      { action: 'UPDATE_FACILITY', entity_id: own.id, outcome: 'FAILED', details: { code: 'BAD_USER_INPUT', field: 'capabilities' } },
    ]);
    const unknown = await send(CENTER_ADMIN, CREATE_FACILITY, { input: facilityInput('not-an-id') });
    expect(errorCodes(unknown.response)).toEqual(['NOT_FOUND']);
    expect(await auditRowsOf(unknown.requestId)).toMatchObject([
      { action: 'CREATE_FACILITY', entity_id: null, outcome: 'FAILED', details: { hospitalId: 'not-an-id', code: 'NOT_FOUND' } },
    ]);
  });
});

describe('agency preferences', () => {
  const PREFERENCES = `query Preferences($hospitalId: ID!) { agencyPreferences(hospitalId: $hospitalId) { agency { id } preferenceOrder } }`;
  const HOSPITAL_PREFERENCES = `query HospitalPreferences($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Hospital { id agencyPreferences { agency { id } } } }
  }`;
  const SET = `mutation SetPreferences($hospitalId: ID!, $preferences: [AgencyPreferenceInput!]!) {
    setAgencyPreferences(hospitalId: $hospitalId, preferences: $preferences) { agency { id } }
  }`;
  const seeded = network.preferences.filter((preference) => preference.hospitalId === hospital1.id);

  it('are shown to the hospital’s own users and center staff, and an empty list to anyone else', async () => {
    for (const email of [COORDINATOR_1, HOSPITAL_ADMIN_1, ANALYST, CENTER_ADMIN]) {
      const response: any = await as(email, PREFERENCES, { hospitalId: hospital1.id });
      expect(response.data.agencyPreferences, email).toHaveLength(seeded.length);
    }
    for (const email of [COORDINATOR_2, HOSPITAL_ADMIN_2, DISPATCHER_1, CREW_1]) {
      const response: any = await as(email, PREFERENCES, { hospitalId: hospital1.id });
      expect(response.errors, email).toBeUndefined();
      expect(response.data.agencyPreferences, email).toEqual([]);
    }
    const representations = [hospital1, hospital2].map((entry) => ({ __typename: 'Hospital', id: entry.id }));
    const response: any = await as(COORDINATOR_2, HOSPITAL_PREFERENCES, { representations });
    expect(response.data._entities[0].agencyPreferences).toEqual([]);
    expect(response.data._entities[1].agencyPreferences.length).toBeGreaterThan(0);
  });

  it('are set only by the hospital’s administrators and center administrators', async () => {
    const preferences = seeded.map((preference) => ({ agencyId: preference.agencyId }));
    for (const email of [COORDINATOR_1, HOSPITAL_ADMIN_2, DISPATCHER_1, ANALYST]) {
      expect(errorCodes(await as(email, SET, { hospitalId: hospital1.id, preferences: [] })), email).toEqual(['FORBIDDEN']);
    }
    expect(((await as(COORDINATOR_1, PREFERENCES, { hospitalId: hospital1.id })) as any).data.agencyPreferences).toHaveLength(seeded.length);
    for (const email of [HOSPITAL_ADMIN_1, CENTER_ADMIN]) {
      const response: any = await as(email, SET, { hospitalId: hospital1.id, preferences });
      expect(response.errors, email).toBeUndefined();
      expect(response.data.setAgencyPreferences.map((entry: any) => entry.agency.id)).toEqual(preferences.map((entry) => entry.agencyId));
    }
  });

  it('leaves an ALLOWED row for a list set, and a DENIED or FAILED row for a refused one, naming the hospital', async () => {
    const preferences = seeded.map((preference) => ({ agencyId: preference.agencyId }));
    const allowed = await send(HOSPITAL_ADMIN_1, SET, { hospitalId: hospital1.id, preferences });
    expect(allowed.response.errors).toBeUndefined();
    expect(await auditRowsOf(allowed.requestId)).toMatchObject([
      {
        action: 'SET_AGENCY_PREFERENCES',
        entity_type: 'Hospital',
        entity_id: hospital1.id,
        outcome: 'ALLOWED',
        actor_id: userOf(HOSPITAL_ADMIN_1).id,
        details: { agencies: preferences.length },
      },
    ]);
    const foreign = await send(HOSPITAL_ADMIN_2, SET, { hospitalId: hospital1.id, preferences: [] });
    const byCoordinator = await send(COORDINATOR_1, SET, { hospitalId: hospital1.id, preferences: [] });
    for (const { requestId, response } of [foreign, byCoordinator]) {
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(await auditRowsOf(requestId)).toMatchObject([
        { action: 'SET_AGENCY_PREFERENCES', entity_type: 'Hospital', entity_id: hospital1.id, outcome: 'DENIED', details: { code: 'FORBIDDEN' } },
      ]);
    }
    const duplicate = preferences.slice(0, 1);
    const failed = await send(HOSPITAL_ADMIN_1, SET, { hospitalId: hospital1.id, preferences: [...duplicate, ...duplicate] });
    expect(errorCodes(failed.response)).toEqual(['BAD_USER_INPUT']);
    expect(await auditRowsOf(failed.requestId)).toMatchObject([
      { action: 'SET_AGENCY_PREFERENCES', entity_id: hospital1.id, outcome: 'FAILED', details: { code: 'BAD_USER_INPUT' } },
    ]);
    expect(((await as(COORDINATOR_1, PREFERENCES, { hospitalId: hospital1.id })) as any).data.agencyPreferences).toHaveLength(seeded.length);
  });
});

describe('the patient-data audit trail', () => {
  it('leaves exactly one complete row for each trip whose patient data is read', async () => {
    const query = `query ReadOwnTrips { transportRequests(first: 5) { nodes { id patientReference specialRequirements notes } } }`;
    const { requestId, response } = await send(COORDINATOR_1, query);
    const ids = ((response.data as any).transportRequests.nodes as { id: string }[]).map((trip) => trip.id);
    expect(ids).toHaveLength(5);
    const rows = await auditRowsOf(requestId);
    expect(rows.map((row) => row.entity_id)).toEqual([...ids].sort());
    const coordinator = userOf(COORDINATOR_1);
    for (const row of rows) {
      expect(row).toMatchObject({
        actor_id: coordinator.id,
        actor_role: 'HOSPITAL_STAFF',
        tenant_id: hospital1.id,
        action: 'READ_PATIENT_DATA',
        entity_type: 'TransportRequest',
        operation_name: 'ReadOwnTrips',
        request_id: requestId,
        outcome: 'ALLOWED',
      });
      expect(row.occurred_at).toBeInstanceOf(Date);
      expect(Date.now() - row.occurred_at.getTime()).toBeLessThan(60_000);
    }
  });

  it('leaves no row when no patient data is selected', async () => {
    const { requestId } = await send(COORDINATOR_1, `query TripStatuses { transportRequests(first: 5) { nodes { id status requestedAt } } }`);
    expect(await auditRowsOf(requestId)).toEqual([]);
  });

  it('leaves one row when one request reads the same trip twice through aliases', async () => {
    const trip = tripOf(hospital1.id);
    const query = `query ReadTwice($id: ID!) {
      first: transportRequest(id: $id) { patientReference }
      second: transportRequest(id: $id) { notes specialRequirements }
      listed: transportRequests(first: 200) { nodes { id patientReference } }
    }`;
    const { requestId, response } = await send(COORDINATOR_1, query, { id: trip.id });
    expect(response.errors).toBeUndefined();
    const rows = await auditRowsOf(requestId);
    expect(rows.filter((row) => row.entity_id === trip.id)).toHaveLength(1);
    expect(new Set(rows.map((row) => row.entity_id)).size).toBe(rows.length);
  });

  it('leaves one row for a trip whose cancellation notes alone are read', async () => {
    const id = await newHospital1Trip();
    const cancelled = await as(COORDINATOR_1, CANCEL, { id, input: { reason: 'OTHER', party: 'HOSPITAL', notes: 'Patient condition worsened' } });
    expect(cancelled.errors).toBeUndefined();
    const query = `query CancellationNotes($id: ID!) { transportRequest(id: $id) { cancellation { notes } } }`;
    const { requestId, response } = await send(COORDINATOR_1, query, { id });
    expect(response.data).toEqual({ transportRequest: { cancellation: { notes: 'Patient condition worsened' } } });
    expect(await auditRowsOf(requestId)).toMatchObject([
      { action: 'READ_PATIENT_DATA', entity_type: 'TransportRequest', entity_id: id, outcome: 'ALLOWED', operation_name: 'CancellationNotes' },
    ]);
    expect(await auditRowsOf(requestId)).toHaveLength(1);
  });

  it('leaves one row for a trip whose history notes alone are read, however many entries it has', async () => {
    const id = await newHospital1Trip();
    await as(COORDINATOR_1, CANCEL, { id, input: { reason: 'OTHER', party: 'HOSPITAL', notes: 'Transferred by family' } });
    const query = `query HistoryNotes($id: ID!) { transportRequest(id: $id) { history { notes } } }`;
    const { requestId, response } = await send(COORDINATOR_1, query, { id });
    expect(response.data).toEqual({ transportRequest: { history: [{ notes: null }, { notes: 'Transferred by family' }] } });
    expect(await auditRowsOf(requestId)).toMatchObject([
      { action: 'READ_PATIENT_DATA', entity_type: 'TransportRequest', entity_id: id, outcome: 'ALLOWED', operation_name: 'HistoryNotes' },
    ]);
    expect(await auditRowsOf(requestId)).toHaveLength(1);
  });

  it('leaves no row when a cancellation or history is read without its notes', async () => {
    const query = `query CancellationsWithoutNotes { transportRequests(first: 50) { nodes { id cancellation { reason party } history { status } } } }`;
    const { requestId, response } = await send(COORDINATOR_1, query);
    expect(response.errors).toBeUndefined();
    expect(await auditRowsOf(requestId)).toEqual([]);
  });

  it('leaves a DENIED row for each refused lookup, whether the trip exists or not', async () => {
    const foreign = tripOf(hospital1.id);
    for (const id of [foreign.id, UNKNOWN_ID, 'not-an-id']) {
      const { requestId } = await send(COORDINATOR_2, TRIP, { id });
      expect(await auditRowsOf(requestId), id).toMatchObject([
        { action: 'READ_PATIENT_DATA', entity_id: id, outcome: 'DENIED', actor_id: userOf(COORDINATOR_2).id, tenant_id: hospital2.id, operation_name: 'Trip' },
      ]);
    }
    const { requestId } = await send(DISPATCHER_1, ENTITIES, { representations: [{ __typename: 'TransportRequest', id: foreign.id }] });
    expect(await auditRowsOf(requestId)).toMatchObject([
      { action: 'READ_PATIENT_DATA', entity_id: foreign.id, outcome: 'DENIED', actor_role: 'EMS_DISPATCHER', tenant_id: agency1.id, operation_name: 'TripEntities' },
    ]);
  });

  it('cannot be rewritten or deleted, not even through the database', async () => {
    const db = hospital.database.db;
    const count = async () => Number((await db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await expect(sql`update audit_log set outcome = 'ALLOWED'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
  });

  it('is served by hospitalAuditTrail to center administrators only', async () => {
    const trip = tripOf(hospital1.id);
    const query = `query AuditTrail($entityId: String!) {
      hospitalAuditTrail(filter: { entityId: $entityId, action: "READ_PATIENT_DATA" }, first: 200) {
        nodes { actorId actorRole action entityId outcome operationName requestId occurredAt }
      }
    }`;
    const read = await send(COORDINATOR_1, TRIP, { id: trip.id });
    const response: any = await as(CENTER_ADMIN, query, { entityId: trip.id });
    expect(response.errors).toBeUndefined();
    expect(response.data.hospitalAuditTrail.nodes).toContainEqual(
      expect.objectContaining({ actorId: userOf(COORDINATOR_1).id, outcome: 'ALLOWED', operationName: 'Trip', requestId: read.requestId }),
    );
    expect(response.data.hospitalAuditTrail.nodes).toContainEqual(expect.objectContaining({ actorId: userOf(COORDINATOR_2).id, outcome: 'DENIED' }));
    for (const email of [ANALYST, COORDINATOR_1, COORDINATOR_2, DISPATCHER_1]) {
      const refused = await as(email, query, { entityId: trip.id });
      expect(errorCodes(refused), email).toEqual(['FORBIDDEN']);
      expect(refused.data).toBeNull();
    }
  });
});

describe('the accounts behind a trip', () => {
  const trip = tripsAssignedTo(agency1.id)[0]!;
  const coordinatorOfTrip = network.users.find((user) => user.role === 'HOSPITAL_STAFF' && user.hospitalId === trip.hospitalId)!;
  const query = `query TripAccounts($id: ID!) { transportRequest(id: $id) { id createdBy { id } history { status updatedBy { id } } } }`;

  it('are hidden from an agency that sees the trip, as the center hides them', async () => {
    const response: any = await as(DISPATCHER_1, query, { id: trip.id });
    expect(response.errors).toBeUndefined();
    expect(response.data.transportRequest.id).toBe(trip.id);
    expect(response.data.transportRequest.createdBy).toBeNull();
    expect(response.data.transportRequest.history.length).toBeGreaterThan(0);
    expect(response.data.transportRequest.history.every((entry: any) => entry.updatedBy === null)).toBe(true);
    expect(JSON.stringify(response)).not.toContain(trip.createdById);
  });

  it('are shown to the users of the trip’s hospital and to center staff', async () => {
    for (const email of [coordinatorOfTrip.email, ANALYST]) {
      const response: any = await as(email, query, { id: trip.id });
      expect(response.errors, email).toBeUndefined();
      expect(response.data.transportRequest.createdBy, email).toEqual({ id: trip.createdById });
      expect(response.data.transportRequest.history[0], email).toEqual({ status: 'REQUESTED', updatedBy: { id: trip.createdById } });
    }
  });
});
