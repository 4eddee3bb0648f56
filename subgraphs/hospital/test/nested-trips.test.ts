import { randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo, newId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, startTestIssuer, type TestDatabase, type TestIssuer } from '@medport/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hospitalSubgraph, type HospitalDatabase } from '../src/index.js';

// `Agency.trips` and `Facility.trips` straight at the hospital subgraph, through `_entities` as the gateway calls
// them: the right trips in the right order, pages, the caller's scope, the audit trail and the statement count.

let database: TestDatabase;
let issuer: TestIssuer;
let hospital: RunningSubgraph<HospitalDatabase>;
/** Every SQL statement the subgraph ran for requests since the last reset. */
let statements: string[] = [];

const network = demo.buildDemoNetwork();
const [hospital1, hospital2] = network.hospitals as [demo.DemoHospital, demo.DemoHospital];
const [agency1, agency2] = network.agencies as [demo.DemoAgency, demo.DemoAgency];
const facilitiesOf = (hospitalId: string) => network.facilities.filter((facility) => facility.hospitalId === hospitalId);

const CENTER_ADMIN = 'admin@center.demo';
const COORDINATOR_1 = 'coordinator@hospital-1.demo';
const COORDINATOR_2 = 'coordinator@hospital-2.demo';
const DISPATCHER_1 = 'dispatcher@agency-1.demo';

interface StoredTrip {
  id: string;
  hospital_id: string;
  assigned_agency_id: string | null;
  origin_facility_id: string;
  destination_facility_id: string;
  status: string;
  requested_at: Date;
}
/** The seeded trips as the database holds them: what the connections are checked against. */
let stored: StoredTrip[] = [];
/** Facilities added to the demo network's 17, so that 50 facilities can ask for their trips at once. */
const extraFacilityIds: string[] = [];

/** The ids of the stored trips that pass `keep`, in the order of every trip list: newest first, then by id. */
function expectedIds(keep: (trip: StoredTrip) => boolean): string[] {
  return stored
    .filter(keep)
    .sort((a, b) => b.requested_at.getTime() - a.requested_at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((trip) => trip.id);
}
const onAgency = (agencyId: string) => (trip: StoredTrip) => trip.assigned_agency_id === agencyId;
const atFacility = (facilityId: string) => (trip: StoredTrip) =>
  trip.origin_facility_id === facilityId || trip.destination_facility_id === facilityId;
const ofHospital = (hospitalId: string) => (trip: StoredTrip) => trip.hospital_id === hospitalId;
const both =
  (...conditions: ((trip: StoredTrip) => boolean)[]) =>
  (trip: StoredTrip) =>
    conditions.every((condition) => condition(trip));

interface TripPage {
  nodes: { id: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
type Entities = { _entities: ({ id: string; trips: TripPage } | null)[] };

const AGENCY_TRIPS = `query AgencyTrips($representations: [_Any!]!, $first: Int, $after: String, $status: [TransportStatus!]) {
  _entities(representations: $representations) {
    ... on Agency { id trips(first: $first, after: $after, status: $status) { nodes { id } pageInfo { hasNextPage endCursor } } }
  }
}`;
const FACILITY_TRIPS = `query FacilityTrips($representations: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $representations) {
    ... on Facility { id trips(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }
  }
}`;

const agencies = (ids: readonly string[]) => ids.map((id) => ({ __typename: 'Agency', id }));
const facilities = (ids: readonly string[]) => ids.map((id) => ({ __typename: 'Facility', id }));

/** Sends one operation as a demo account (anonymous without one), with a request id of its own for its audit rows. */
async function send(email: string | null, query: string, variables: Record<string, unknown> = {}) {
  const requestId = randomUUID();
  const headers = { ...(email ? bearer(await issuer.tokenForDemoUser(email)) : {}), 'x-request-id': requestId };
  return { requestId, response: await postGraphQL<Entities>(hospital.url, query, variables, headers) };
}

/** The trip ids of each parent, in the order of the representations; fails on any error. */
async function tripIdsOf(email: string, query: string, variables: Record<string, unknown>): Promise<string[][]> {
  const { response } = await send(email, query, variables);
  expect(response.errors).toBeUndefined();
  return response.data!._entities.map((entity) => entity!.trips.nodes.map((node) => node.id));
}

/** Every trip of one parent, page by page; checks that each page but the last is full. */
async function pageThrough(email: string, query: string, representation: { __typename: string; id: string }, first: number) {
  const pages: string[][] = [];
  let after: string | null = null;
  for (;;) {
    const { response } = await send(email, query, { representations: [representation], first, after });
    expect(response.errors).toBeUndefined();
    const page: TripPage = response.data!._entities[0]!.trips;
    pages.push(page.nodes.map((node) => node.id));
    if (!page.pageInfo.hasNextPage) return pages;
    expect(page.nodes).toHaveLength(first);
    after = page.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  database = await createTestDatabase('hospital');
  issuer = await startTestIssuer();
  const config = loadSubgraphConfig('hospital', 0, { ...database.env, ...issuer.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  hospital = await startSubgraph(hospitalSubgraph, config, { onQuery: (event) => statements.push(event.query.sql) });
  const db = hospital.database.db;
  stored = await db
    .selectFrom('transport_requests')
    .select(['id', 'hospital_id', 'assigned_agency_id', 'origin_facility_id', 'destination_facility_id', 'status', 'requested_at'])
    .execute();
  const template = network.facilities[0]!;
  for (let index = 0; index < 50 - network.facilities.length; index++) {
    const id = newId();
    extraFacilityIds.push(id);
    await db
      .insertInto('facilities')
      .values({
        id,
        hospital_id: template.hospitalId,
        name: `Satellite Dialysis Center ${index + 1}`,
        type: 'DIALYSIS',
        address_line: `${index + 1} Main St`,
        city: 'Pittsburgh',
        state: 'PA',
        postal_code: '15201',
        latitude: 40.44,
        longitude: -79.99,
        phone: null,
        email: null,
        operating_hours: null,
        capabilities: [],
      })
      .execute();
  }
});

beforeEach(() => {
  statements = [];
});

afterAll(async () => {
  await hospital?.stop();
  await issuer?.close();
  await database?.drop();
});

describe('Agency.trips', () => {
  const agencyIds = network.agencies.map((agency) => agency.id);

  it('lists the trips assigned to each agency newest first, every agency of a list in one statement', async () => {
    const lists = await tripIdsOf(CENTER_ADMIN, AGENCY_TRIPS, { representations: agencies(agencyIds), first: 200 });
    expect(lists).toEqual(agencyIds.map((id) => expectedIds(onAgency(id))));
    expect(lists.every((ids) => ids.length > 0)).toBe(true);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('/* listTripPagesOfAgencies */');
  });

  it('pages through one agency’s trips with first and after, without gaps or overlaps', async () => {
    const pages = await pageThrough(CENTER_ADMIN, AGENCY_TRIPS, agencies([agency1.id])[0]!, 7);
    const seen = pages.flat();
    expect(pages.length).toBeGreaterThan(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expectedIds(onAgency(agency1.id)));
  });

  it('keeps only the trips in one of the given statuses', async () => {
    const status = ['COMPLETED', 'CANCELLED'];
    const lists = await tripIdsOf(CENTER_ADMIN, AGENCY_TRIPS, { representations: agencies(agencyIds), first: 200, status });
    expect(lists).toEqual(agencyIds.map((id) => expectedIds(both(onAgency(id), (trip) => status.includes(trip.status)))));
    expect(lists.flat().length).toBeGreaterThan(0);
  });

  it('shows a hospital user only its own hospital’s trips under each agency, in full pages', async () => {
    const lists = await tripIdsOf(COORDINATOR_1, AGENCY_TRIPS, { representations: agencies(agencyIds), first: 200 });
    expect(lists).toEqual(agencyIds.map((id) => expectedIds(both(onAgency(id), ofHospital(hospital1.id)))));
    expect(lists.flat().length).toBeGreaterThan(0);
    const pages = await pageThrough(COORDINATOR_1, AGENCY_TRIPS, agencies([agency1.id])[0]!, 4);
    expect(pages.flat()).toEqual(expectedIds(both(onAgency(agency1.id), ofHospital(hospital1.id))));
  });

  it('shows an EMS user its own agency’s trips and an empty connection for another agency', async () => {
    const { response } = await send(DISPATCHER_1, AGENCY_TRIPS, { representations: agencies([agency1.id, agency2.id]), first: 200 });
    expect(response.errors).toBeUndefined();
    const [own, other] = response.data!._entities;
    expect(own!.trips.nodes.map((node) => node.id)).toEqual(expectedIds(onAgency(agency1.id)));
    expect(other!.trips).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('refuses anonymous callers as transportRequests does', async () => {
    const { response } = await send(null, AGENCY_TRIPS, { representations: agencies([agency1.id]) });
    const { response: list } = await send(null, `{ transportRequests(first: 1) { nodes { id } } }`);
    expect(errorCodes(list)).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(response)).toEqual(errorCodes(list));
  });

  it('gives an agency with a malformed id no trips instead of failing the others', async () => {
    const lists = await tripIdsOf(CENTER_ADMIN, AGENCY_TRIPS, { representations: agencies([agency1.id, 'not-an-id']), first: 3 });
    expect(lists).toEqual([expectedIds(onAgency(agency1.id)).slice(0, 3), []]);
  });
});

describe('Facility.trips', () => {
  const facilityIds = network.facilities.map((facility) => facility.id);

  it('lists the trips from or to each facility newest first, every facility of a list in one statement', async () => {
    const lists = await tripIdsOf(CENTER_ADMIN, FACILITY_TRIPS, { representations: facilities(facilityIds), first: 200 });
    expect(lists).toEqual(facilityIds.map((id) => expectedIds(atFacility(id))));
    // A trip is listed under both of its ends.
    expect(lists.flat().length).toBe(2 * stored.length);
    const tripStatements = statements.filter((statement) => statement.includes('from "transport_requests"'));
    expect(tripStatements).toHaveLength(1);
    expect(tripStatements[0]).toContain('/* listTripPagesOfFacilities */');
  });

  it('pages through one facility’s trips with first and after, without gaps or overlaps', async () => {
    const busiest = [...facilityIds].sort((a, b) => expectedIds(atFacility(b)).length - expectedIds(atFacility(a)).length)[0]!;
    const pages = await pageThrough(CENTER_ADMIN, FACILITY_TRIPS, facilities([busiest])[0]!, 9);
    const seen = pages.flat();
    expect(pages.length).toBeGreaterThan(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expectedIds(atFacility(busiest)));
  });

  it('shows a hospital user only its own hospital’s trips, even at another hospital’s facilities', async () => {
    const foreign = facilitiesOf(hospital1.id).map((facility) => facility.id);
    const lists = await tripIdsOf(COORDINATOR_2, FACILITY_TRIPS, { representations: facilities(foreign), first: 200 });
    expect(lists).toEqual(foreign.map((id) => expectedIds(both(atFacility(id), ofHospital(hospital2.id)))));
    // Hospital-2 sends patients to hospital-1's facilities, so the scope is what empties the rest.
    expect(lists.flat().length).toBeGreaterThan(0);
    expect(lists.flat().length).toBeLessThan(foreign.flatMap((id) => expectedIds(atFacility(id))).length);
  });

  it('shows an EMS user only the trips assigned to its agency', async () => {
    const lists = await tripIdsOf(DISPATCHER_1, FACILITY_TRIPS, { representations: facilities(facilityIds), first: 200 });
    expect(lists).toEqual(facilityIds.map((id) => expectedIds(both(atFacility(id), onAgency(agency1.id)))));
    expect(lists.flat().length).toBeGreaterThan(0);
  });
});

describe('the statements behind nested trips', () => {
  /** The statements of one request for the first `parents` agencies or facilities, each asking for `first` trips. */
  async function statementsFor(query: string, representations: { __typename: string; id: string }[], parents: number, first: number) {
    statements = [];
    const { response } = await send(CENTER_ADMIN, query, { representations: representations.slice(0, parents), first });
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toHaveLength(parents);
    return statements.length;
  }

  it('stay the same for 10 or 50 agencies and pages of 5 or 50 trips', async () => {
    // The hospital silo keeps no agency table: an id it has no trips for is an agency with an empty list.
    const ids = [...network.agencies.map((agency) => agency.id), ...Array.from({ length: 45 }, () => newId())];
    const counts = [];
    for (const parents of [10, 50]) for (const first of [5, 50]) counts.push(await statementsFor(AGENCY_TRIPS, agencies(ids), parents, first));
    expect(counts).toEqual([1, 1, 1, 1]);
  });

  it('stay the same for 10 or 50 facilities and pages of 5 or 50 trips', async () => {
    const ids = [...network.facilities.map((facility) => facility.id), ...extraFacilityIds];
    expect(ids).toHaveLength(50);
    const counts = [];
    for (const parents of [10, 50]) for (const first of [5, 50]) counts.push(await statementsFor(FACILITY_TRIPS, facilities(ids), parents, first));
    // One for the facilities themselves, one for all their trips.
    expect(counts).toEqual([2, 2, 2, 2]);
  });
});

describe('patient data read through nested trips', () => {
  const auditRowsOf = (requestId: string) =>
    hospital.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('entity_id').execute();

  it('leaves one READ_PATIENT_DATA row for each trip whose patient data is read, as transportRequests does', async () => {
    const query = `query NestedPatientData($agencies: [_Any!]!, $facilities: [_Any!]!) {
      agencies: _entities(representations: $agencies) { ... on Agency { trips(first: 3) { nodes { id patientReference } } } }
      facilities: _entities(representations: $facilities) { ... on Facility { trips(first: 3) { nodes { id notes } } } }
    }`;
    const variables = { agencies: agencies([agency1.id]), facilities: facilities([facilitiesOf(hospital1.id)[0]!.id]) };
    const { requestId, response } = await send(COORDINATOR_1, query, variables);
    expect(response.errors).toBeUndefined();
    const data = response.data as unknown as Record<'agencies' | 'facilities', { trips: { nodes: { id: string }[] } }[]>;
    const read = new Set([...data.agencies, ...data.facilities].flatMap((entity) => entity.trips.nodes.map((node) => node.id)));
    expect(read.size).toBeGreaterThan(0);
    const rows = await auditRowsOf(requestId);
    expect(rows.map((row) => row.entity_id)).toEqual([...read].sort());
    for (const row of rows) {
      expect(row).toMatchObject({ action: 'READ_PATIENT_DATA', entity_type: 'TransportRequest', outcome: 'ALLOWED', operation_name: 'NestedPatientData' });
    }
  });

  it('leaves no row when no patient data is selected', async () => {
    const { requestId, response } = await send(COORDINATOR_1, AGENCY_TRIPS, { representations: agencies([agency1.id]), first: 5 });
    expect(response.data!._entities[0]!.trips.nodes.length).toBeGreaterThan(0);
    expect(await auditRowsOf(requestId)).toEqual([]);
  });
});
