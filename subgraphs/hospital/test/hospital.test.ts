import { loadSubgraphConfig } from '@medport/config';
import { demo } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, startTestIssuer, type TestDatabase, type TestIssuer } from '@medport/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hospitalSubgraph, type HospitalDatabase } from '../src/index.js';

let database: TestDatabase;
let issuer: TestIssuer;
let token: string;
let hospital: RunningSubgraph<HospitalDatabase>;
/** Sends an operation to the hospital subgraph as the center admin, over HTTP. */
const execute = (query: string, variables: Record<string, unknown> = {}) => postGraphQL(hospital.url, query, variables, bearer(token));
/** Sends an operation as a demo account, the role that does this work in real life. */
const executeAs = async (email: string, query: string, variables: Record<string, unknown> = {}) =>
  postGraphQL(hospital.url, query, variables, bearer(await issuer.tokenForDemoUser(email)));
/** Every SQL statement the subgraph ran since the last reset. */
let statements: string[] = [];
const network = demo.buildDemoNetwork();
const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[0]!.id);
/** hospital-1's transfer coordinator (HOSPITAL_STAFF) requests, changes and cancels its trips. */
const COORDINATOR = 'coordinator@hospital-1.demo';
const coordinatorOf = (hospitalId: string) => `coordinator@${network.hospitals.find((entry) => entry.id === hospitalId)!.slug}.demo`;

beforeAll(async () => {
  database = await createTestDatabase('hospital');
  issuer = await startTestIssuer();
  token = await issuer.tokenForDemoUser('admin@center.demo');
  const config = loadSubgraphConfig('hospital', 0, { ...database.env, ...issuer.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  hospital = await startSubgraph(hospitalSubgraph, config, { onQuery: (event) => statements.push(event.query.sql) });
});

beforeEach(() => {
  statements = [];
});

afterAll(async () => {
  await hospital?.stop();
  await issuer?.close();
  await database?.drop();
});

const statementsAgainst = (table: string) => statements.filter((statement) => statement.includes(`from "${table}"`));
const HOSPITAL_FACILITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Hospital { facilities(first: 2) { nodes { name } pageInfo { hasNextPage } } } }
}`;

const countTrips = async () =>
  Number((await hospital.database.db.selectFrom('transport_requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

const CREATE = `mutation Create($input: CreateTransportRequestInput!) {
  createTransportRequest(input: $input) { id status hospital { id } origin { id } history { status } }
}`;

const validInput = () => ({
  originFacilityId: origin!.id,
  destinationFacilityId: destination!.id,
  patientReference: 'MRN-424242',
  transportLevel: 'ALS',
  priority: 'URGENT',
  specialRequirements: ['CARDIAC_MONITOR'],
});

describe('hospital subgraph', () => {
  it('seeds the demo network into an empty database once', async () => {
    expect(await countTrips()).toBe(demo.DEMO_TRIP_COUNT);
    expect(await hospitalSubgraph.seedDemoData(hospital.database.db)).toBe(false);
    expect(await countTrips()).toBe(demo.DEMO_TRIP_COUNT);
  });

  it('creates a trip REQUESTED by the origin facility hospital, with its first history entry', async () => {
    const response = await executeAs(COORDINATOR, CREATE, { input: validInput() });
    expect(response.errors).toBeUndefined();
    expect(response.data!.createTransportRequest).toMatchObject({
      status: 'REQUESTED',
      hospital: { id: network.hospitals[0]!.id },
      origin: { id: origin!.id },
      history: [{ status: 'REQUESTED' }],
    });
  });

  it('rejects bad input with a code and writes nothing', async () => {
    const before = await countTrips();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...validInput(), patientReference: 'Jane Doe' }, 'BAD_USER_INPUT'],
      [{ ...validInput(), destinationFacilityId: origin!.id }, 'BAD_USER_INPUT'],
      [{ ...validInput(), originFacilityId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND'],
      [{ ...validInput(), originFacilityId: 'not-an-id' }, 'NOT_FOUND'],
      [{ ...validInput(), transportLevel: 'HELICOPTER' }, 'BAD_USER_INPUT'],
      [{ ...validInput(), scheduledPickupAt: 'tomorrow' }, 'BAD_USER_INPUT'],
      [{ ...validInput(), scheduledPickupAt: '2001-01-01T00:00:00Z' }, 'BAD_USER_INPUT'],
      [{ ...validInput(), specialRequirements: ['OXYGEN', 'OXYGEN'] }, 'BAD_USER_INPUT'],
    ];
    for (const [input, code] of cases) {
      const response = await executeAs(COORDINATOR, CREATE, { input });
      expect(errorCodes(response), JSON.stringify(input)).toEqual([code]);
    }
    expect(await countTrips()).toBe(before);
  });

  it('rejects a malformed hospital id in the facilities filter instead of failing in SQL', async () => {
    const response = await execute(`{ facilities(filter: { hospitalId: "not-an-id" }) { nodes { id } } }`);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('rejects a malformed cursor and an impossible date range', async () => {
    const list = `query($filter: TransportRequestFilter, $after: String) { transportRequests(filter: $filter, after: $after) { nodes { id } } }`;
    expect(errorCodes(await execute(list, { after: 'garbage' }))).toEqual(['BAD_USER_INPUT']);
    const range = { requested: { from: '2026-11-21T00:00:00Z', to: '2026-11-01T00:00:00Z' } };
    expect(errorCodes(await execute(list, { filter: range }))).toEqual(['BAD_USER_INPUT']);
  });

  it('pages through transport requests newest first without gaps or repeats', async () => {
    const query = `query($after: String) { transportRequests(first: 100, after: $after) { nodes { id requestedAt } pageInfo { hasNextPage endCursor } } }`;
    const seen: { id: string; requestedAt: string }[] = [];
    let after: string | null = null;
    do {
      const response: any = await execute(query, { after });
      seen.push(...response.data.transportRequests.nodes);
      after = response.data.transportRequests.pageInfo.hasNextPage ? response.data.transportRequests.pageInfo.endCursor : null;
    } while (after);
    expect(seen.length).toBe(await countTrips());
    expect(new Set(seen.map((trip) => trip.id)).size).toBe(seen.length);
    const times = seen.map((trip) => Date.parse(trip.requestedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('filters by status, level, priority, hospital and time', async () => {
    const hospitalId = network.hospitals[1]!.id;
    const response: any = await execute(
      `query($filter: TransportRequestFilter) { transportRequests(first: 200, filter: $filter) { nodes { status transportLevel priority hospital { id } requestedAt } } }`,
      { filter: { status: ['COMPLETED', 'CANCELLED'], transportLevel: ['BLS'], priority: ['ROUTINE'], hospitalId, requested: { from: '2020-01-01T00:00:00Z' } } },
    );
    const nodes = response.data.transportRequests.nodes;
    const expected = network.trips.filter(
      (trip) => ['COMPLETED', 'CANCELLED'].includes(trip.status) && trip.transportLevel === 'BLS' && trip.priority === 'ROUTINE' && trip.hospitalId === hospitalId,
    );
    expect(nodes.length).toBe(expected.length);
    expect(nodes.length).toBeGreaterThan(0);
  });

  it('cancels a trip once, with reason and party, and refuses to cancel it again', async () => {
    const created: any = await executeAs(COORDINATOR, CREATE, { input: validInput() });
    const id = created.data.createTransportRequest.id;
    const cancel = `mutation($id: ID!, $input: CancelTransportRequestInput!) { cancelTransportRequest(id: $id, input: $input) { status cancellation { reason party } history { status } } }`;
    const input = { reason: 'PATIENT_DISCHARGED', party: 'HOSPITAL' };
    const first: any = await executeAs(COORDINATOR, cancel, { id, input });
    expect(first.data.cancelTransportRequest).toEqual({
      status: 'CANCELLED',
      cancellation: { reason: 'PATIENT_DISCHARGED', party: 'HOSPITAL' },
      history: [{ status: 'REQUESTED' }, { status: 'CANCELLED' }],
    });
    const second = await executeAs(COORDINATOR, cancel, { id, input });
    expect(errorCodes(second)).toEqual(['BAD_USER_INPUT']);
    const history = await hospital.database.db.selectFrom('trip_history').select('status').where('transport_request_id', '=', id).execute();
    expect(history).toHaveLength(2);
  });

  it('updates a trip plan before pickup and refuses once the trip has ended', async () => {
    const update = `mutation($id: ID!, $input: UpdateTransportRequestInput!) { updateTransportRequest(id: $id, input: $input) { priority notes } }`;
    const open = network.trips.find((trip) => trip.status === 'ACCEPTED')!;
    const changed: any = await executeAs(coordinatorOf(open.hospitalId), update, { id: open.id, input: { priority: 'EMERGENT', notes: 'Call ahead' } });
    expect(changed.data.updateTransportRequest).toEqual({ priority: 'EMERGENT', notes: 'Call ahead' });
    const done = network.trips.find((trip) => trip.status === 'COMPLETED')!;
    expect(errorCodes(await executeAs(coordinatorOf(done.hospitalId), update, { id: done.id, input: { priority: 'EMERGENT' } }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('replaces agency preferences in the given order and rejects duplicates', async () => {
    const hospitalId = network.hospitals[2]!.id;
    const admin = `admin@${network.hospitals[2]!.slug}.demo`;
    const [a, b] = network.agencies;
    const set = `mutation($hospitalId: ID!, $preferences: [AgencyPreferenceInput!]!) { setAgencyPreferences(hospitalId: $hospitalId, preferences: $preferences) { agency { id } preferenceOrder } }`;
    const response: any = await executeAs(admin, set, { hospitalId, preferences: [{ agencyId: b!.id }, { agencyId: a!.id }] });
    expect(response.data.setAgencyPreferences).toEqual([
      { agency: { id: b!.id }, preferenceOrder: 1 },
      { agency: { id: a!.id }, preferenceOrder: 2 },
    ]);
    const duplicate = await executeAs(admin, set, { hospitalId, preferences: [{ agencyId: a!.id }, { agencyId: a!.id }] });
    expect(errorCodes(duplicate)).toEqual(['BAD_USER_INPUT']);
    const kept: any = await executeAs(coordinatorOf(hospitalId), `query($id: ID!) { agencyPreferences(hospitalId: $id) { agency { id } } }`, { id: hospitalId });
    expect(kept.data.agencyPreferences.map((p: any) => p.agency.id)).toEqual([b!.id, a!.id]);
  });

  it('resolves the facilities of many hospitals in one statement, each hospital its own page by name', async () => {
    type Entities = { _entities: { facilities: { nodes: { name: string }[]; pageInfo: { hasNextPage: boolean } } }[] };
    const representations = network.hospitals.map((entry) => ({ __typename: 'Hospital', id: entry.id }));
    const response = await postGraphQL<Entities>(hospital.url, HOSPITAL_FACILITIES, { representations }, bearer(token));

    expect(response.errors).toBeUndefined();
    expect(representations).toHaveLength(4);
    const expected = network.hospitals.map((entry) => {
      const names = network.facilities
        .filter((facility) => facility.hospitalId === entry.id)
        .map((facility) => facility.name)
        .sort();
      return { facilities: { nodes: names.slice(0, 2).map((name) => ({ name })), pageInfo: { hasNextPage: names.length > 2 } } };
    });
    expect(response.data!._entities).toEqual(expected);
    expect(statementsAgainst('facilities')).toHaveLength(1);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('/* listFacilityPagesOfHospitals */');
  });

  it('gives a hospital with a malformed id no facilities instead of failing the others', async () => {
    type Entities = { _entities: { facilities: { nodes: { name: string }[] } }[] };
    const representations = [network.hospitals[0]!.id, 'not-an-id'].map((id) => ({ __typename: 'Hospital', id }));
    const response = await postGraphQL<Entities>(hospital.url, HOSPITAL_FACILITIES, { representations }, bearer(token));

    expect(response.errors).toBeUndefined();
    const [known, malformed] = response.data!._entities;
    expect(known!.facilities.nodes).toHaveLength(2);
    expect(malformed!.facilities.nodes).toEqual([]);
    expect(statementsAgainst('facilities')).toHaveLength(1);
  });

  it('creates and updates a facility, and validates coordinates', async () => {
    const create = `mutation($input: CreateFacilityInput!) { createFacility(input: $input) { id name isActive } }`;
    const input = {
      hospitalId: network.hospitals[0]!.id,
      name: 'Riverside Dialysis Center',
      type: 'DIALYSIS',
      address: { line: '9 Mill St', city: 'Pittsburgh', state: 'PA', postalCode: '15201' },
      coordinates: { latitude: 40.45, longitude: -79.98 },
    };
    const created: any = await executeAs('admin@hospital-1.demo', create, { input });
    expect(created.data.createFacility).toMatchObject({ name: 'Riverside Dialysis Center', isActive: true });
    const bad = await executeAs('admin@hospital-1.demo', create, { input: { ...input, coordinates: { latitude: 123, longitude: 0 } } });
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    const retired: any = await executeAs('admin@hospital-1.demo', `mutation($id: ID!) { updateFacility(id: $id, input: { isActive: false }) { isActive } }`, {
      id: created.data.createFacility.id,
    });
    expect(retired.data.updateFacility.isActive).toBe(false);
  });

  it('answers /health and /ready', async () => {
    const base = hospital.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});
