import { demo } from '@medport/domain';
import type { RunningGateway } from '@medport/gateway';
import { errorCodes, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayInFront, startStack, type Stack } from './support/stack.js';

let stack: Stack;
/** Sends an operation through the gateway as the center admin. */
const execute = async (query: string, variables: Record<string, unknown> = {}, email = 'admin@center.demo') =>
  postGraphQL(stack.gatewayUrl, query, variables, await stack.as(email));
const network = demo.buildDemoNetwork();

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const TRIPS_ACROSS_SILOS = `query($first: Int, $filter: TransportRequestFilter) {
  transportRequests(first: $first, filter: $filter) {
    nodes {
      id
      origin { name hospital { id } }
      hospital { name }
      assignedAgency { name }
      assignedUnit { unitNumber }
    }
  }
}`;

const countTrips = async () =>
  Number(
    (
      await (stack.subgraphs.hospital.database.db as any)
        .selectFrom('transport_requests')
        .select((eb: any) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('the supergraph through the gateway', () => {
  it('answers one query with data from all three silos', async () => {
    const response: any = await execute(TRIPS_ACROSS_SILOS, {
      first: 60,
      filter: { status: ['ASSIGNED', 'TRANSPORTING', 'COMPLETED'] },
    });
    expect(response.errors).toBeUndefined();
    const nodes = response.data.transportRequests.nodes;
    expect(nodes.length).toBe(60);
    for (const node of nodes) {
      const trip = network.trips.find((candidate) => candidate.id === node.id)!;
      expect(node.origin.name).toBe(network.facilities.find((facility) => facility.id === trip.originFacilityId)!.name);
      expect(node.hospital.name).toBe(network.hospitals.find((hospital) => hospital.id === trip.hospitalId)!.name);
      expect(node.assignedAgency.name).toBe(network.agencies.find((agency) => agency.id === trip.assignedAgencyId)!.name);
      expect(node.assignedUnit.unitNumber).toBe(network.units.find((unit) => unit.id === trip.assignedUnitId)!.unitNumber);
    }
  });

  it('loads the agencies, units and hospitals of any number of trips with one SQL statement each', async () => {
    const statementsFor = async (first: number) => {
      for (const log of Object.values(stack.statements)) log.clear();
      const response: any = await execute(TRIPS_ACROSS_SILOS, { first, filter: { status: ['COMPLETED'] } });
      expect(response.errors).toBeUndefined();
      expect(response.data.transportRequests.nodes).toHaveLength(first);
      const from = (silo: 'ems' | 'center', table: string) =>
        stack.statements[silo].statements.filter((sql) => new RegExp(`from "${table}"`).test(sql)).length;
      return {
        agencies: from('ems', 'agencies'),
        units: from('ems', 'units'),
        hospitals: from('center', 'hospitals'),
        ems: stack.statements.ems.statements.length,
        center: stack.statements.center.statements.length,
      };
    };
    const few = await statementsFor(10);
    const many = await statementsFor(100);
    expect(many).toMatchObject({ agencies: 1, units: 1, hospitals: 1 });
    expect(many).toEqual(few);
  });

  it('loads one agency referenced by many trips with one SQL statement', async () => {
    const agency = network.agencies[0]!;
    stack.statements.ems.clear();
    const response: any = await execute(TRIPS_ACROSS_SILOS, { first: 100, filter: { assignedAgencyId: agency.id } });
    const nodes = response.data.transportRequests.nodes;
    expect(nodes.length).toBe(Math.min(100, network.trips.filter((trip) => trip.assignedAgencyId === agency.id).length));
    expect(nodes.length).toBeGreaterThan(30);
    expect(new Set(nodes.map((node: any) => node.assignedAgency.name))).toEqual(new Set([agency.name]));
    expect(stack.statements.ems.statements.filter((sql) => sql.includes('from "agencies"'))).toHaveLength(1);
  });

  it('answers agencies → trips → hospital → facilities → trips → agency consistently, with statements that do not grow with the pages', async () => {
    const query = `query($agencies: Int, $trips: Int, $facilities: Int, $facilityTrips: Int) {
      agencies(first: $agencies) { nodes { name trips(first: $trips) { nodes { id hospital { name
        facilities(first: $facilities) { nodes { name trips(first: $facilityTrips) { nodes { id assignedAgency { name } } } } }
      } } } } }
    }`;
    // The data to check the answer against, read straight from each silo's database.
    const trips = new Map<string, { assigned_agency_id: string | null; origin_facility_id: string; destination_facility_id: string; hospital_id: string }>(
      (
        await (stack.subgraphs.hospital.database.db as any)
          .selectFrom('transport_requests')
          .select(['id', 'assigned_agency_id', 'origin_facility_id', 'destination_facility_id', 'hospital_id'])
          .execute()
      ).map((row: any) => [row.id, row]),
    );
    const facilityNames = new Map<string, string>(
      (await (stack.subgraphs.hospital.database.db as any).selectFrom('facilities').select(['id', 'name']).execute()).map((row: any) => [row.id, row.name]),
    );
    const agencyNames = new Map<string, string>(
      (await (stack.subgraphs.ems.database.db as any).selectFrom('agencies').select(['id', 'name']).execute()).map((row: any) => [row.id, row.name]),
    );
    const agencyIdsByName = new Map([...agencyNames].map(([id, name]) => [name, id]));
    const hospitalNames = new Map<string, string>(
      (await (stack.subgraphs.center.database.db as any).selectFrom('hospitals').select(['id', 'name']).execute()).map((row: any) => [row.id, row.name]),
    );
    // Signed in before counting, so that only the query's own statements are counted.
    const headers = await stack.as();
    const answer = async (sizes: { agencies: number; trips: number; facilities: number; facilityTrips: number }) => {
      for (const log of Object.values(stack.statements)) log.clear();
      const response: any = await postGraphQL(stack.gatewayUrl, query, sizes, headers);
      expect(response.errors).toBeUndefined();
      const counts = Object.fromEntries(Object.entries(stack.statements).map(([silo, log]) => [silo, log.statements.length]));
      let facilityTripsSeen = 0;
      for (const agency of response.data.agencies.nodes) {
        const agencyId = agencyIdsByName.get(agency.name)!;
        expect(agency.trips.nodes.length).toBeGreaterThan(0);
        for (const trip of agency.trips.nodes) {
          expect(trips.get(trip.id)!.assigned_agency_id).toBe(agencyId);
          expect(trip.hospital.name).toBe(hospitalNames.get(trips.get(trip.id)!.hospital_id));
          for (const facility of trip.hospital.facilities.nodes) {
            for (const facilityTrip of facility.trips.nodes) {
              const stored = trips.get(facilityTrip.id)!;
              expect([facilityNames.get(stored.origin_facility_id), facilityNames.get(stored.destination_facility_id)]).toContain(facility.name);
              expect(facilityTrip.assignedAgency?.name ?? null).toBe(stored.assigned_agency_id ? agencyNames.get(stored.assigned_agency_id) : null);
              facilityTripsSeen++;
            }
          }
        }
      }
      expect(facilityTripsSeen).toBeGreaterThan(0);
      return { agencies: response.data.agencies.nodes.length, counts };
    };

    // A first, smallest answer fills what outlives a request (signing keys), so the two compared count only their own.
    await answer({ agencies: 1, trips: 1, facilities: 1, facilityTrips: 1 });
    const small = await answer({ agencies: 2, trips: 2, facilities: 2, facilityTrips: 2 });
    const large = await answer({ agencies: 5, trips: 5, facilities: 3, facilityTrips: 3 });
    expect(small.agencies).toBe(2);
    expect(large.agencies).toBe(5);
    expect(large.counts).toEqual(small.counts);
  });

  it('creates, changes and cancels a transport request, and shows it with cross-silo fields', async () => {
    const [origin, destination] = network.facilities.filter((facility) => facility.hospitalId === network.hospitals[1]!.id);
    const created: any = await execute(
      `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id status hospital { name } destination { name } } }`,
      {
        input: {
          originFacilityId: origin!.id,
          destinationFacilityId: destination!.id,
          patientReference: 'ENC-2026-0042',
          transportLevel: 'BLS',
          priority: 'ROUTINE',
          scheduledPickupAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      },
      'coordinator@hospital-2.demo',
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createTransportRequest).toMatchObject({
      status: 'REQUESTED',
      hospital: { name: network.hospitals[1]!.name },
      destination: { name: destination!.name },
    });
    const id = created.data.createTransportRequest.id;
    const updated: any = await execute(
      `mutation($id: ID!) { updateTransportRequest(id: $id, input: { priority: URGENT, specialRequirements: [OXYGEN] }) { priority specialRequirements } }`,
      { id },
      'coordinator@hospital-2.demo',
    );
    expect(updated.data.updateTransportRequest).toEqual({ priority: 'URGENT', specialRequirements: ['OXYGEN'] });
    const cancelled: any = await execute(
      `mutation($id: ID!) { cancelTransportRequest(id: $id, input: { reason: SCHEDULING_CHANGE, party: HOSPITAL }) { status history { status } } }`,
      { id },
      'coordinator@hospital-2.demo',
    );
    expect(cancelled.data.cancelTransportRequest).toEqual({ status: 'CANCELLED', history: [{ status: 'REQUESTED' }, { status: 'CANCELLED' }] });
  });

  it('rejects bad input with a clear code and writes nothing', async () => {
    const before = await countTrips();
    const create = `mutation($input: CreateTransportRequestInput!) { createTransportRequest(input: $input) { id } }`;
    const facility = network.facilities[0]!;
    const input = {
      originFacilityId: facility.id,
      destinationFacilityId: network.facilities[1]!.id,
      patientReference: 'MRN-777777',
      transportLevel: 'BLS',
      priority: 'ROUTINE',
    };
    const cases: [string, Record<string, unknown>, string][] = [
      ['unknown id', { input: { ...input, originFacilityId: '7d4f6c9e-0000-4000-8000-000000000000' } }, 'NOT_FOUND'],
      ['invalid enum', { input: { ...input, priority: 'WHENEVER' } }, 'BAD_USER_INPUT'],
      ['missing required field', { input: { ...input, patientReference: undefined } }, 'BAD_USER_INPUT'],
    ];
    for (const [name, variables, code] of cases) {
      expect(errorCodes(await execute(create, variables, 'coordinator@hospital-1.demo')), name).toEqual([code]);
    }
    const list = `query($after: String, $filter: TransportRequestFilter) { transportRequests(after: $after, filter: $filter) { nodes { id } } }`;
    expect(errorCodes(await execute(list, { after: 'bm90LWEtY3Vyc29y' }))).toEqual(['BAD_USER_INPUT']);
    expect(
      errorCodes(await execute(list, { filter: { requested: { from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' } } })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await execute(`query { agency(id: "not-an-id") { name } }`))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await execute(`query { hospital(id: "7d4f6c9e-0000-4000-8000-000000000000") { name } }`))).toEqual([
      'NOT_FOUND',
    ]);
    expect(await countTrips()).toBe(before);
  });

  it('refuses operations beyond the depth and alias limits, and batched requests', async () => {
    // 14 levels deep (the limit is 12) but cheap, so the depth limit is what refuses it.
    let deep = 'id';
    for (let level = 0; level < 4; level++) deep = `facilities(first: 1) { nodes { hospital { ${deep} } } }`;
    const tooDeep = await execute(`query($id: ID!) { hospital(id: $id) { ${deep} } }`, { id: network.hospitals[0]!.id });
    expect(errorCodes(tooDeep)).toEqual(['QUERY_TOO_DEEP']);
    expect(tooDeep.errors?.[0]?.message).toMatch(/14 levels deep; at most 12/);
    expect(tooDeep.data ?? null).toBeNull();

    // Pages given in variables escape the cost limit; the product of the nested pages does not.
    const widePages = `query($a: Int, $t: Int) { agencies(first: $a) { nodes { trips(first: $t) { nodes { id } } } } }`;
    const tooWide: any = await execute(widePages, { a: 200, t: 500 });
    expect(errorCodes(tooWide)).toEqual(['QUERY_TOO_MANY_LIST_ITEMS']);
    expect(tooWide.errors?.[0]?.message).toMatch(/100,000 items/);
    expect(tooWide.data ?? null).toBeNull();
    expect((await execute(widePages, { a: 5, t: 50 })).errors).toBeUndefined();

    const aliases = Array.from({ length: 20 }, (_, index) => `a${index}: facility(id: $id) { id }`).join(' ');
    const tooManyAliases = await execute(`query($id: ID!) { ${aliases} }`, { id: network.facilities[0]!.id });
    expect(errorCodes(tooManyAliases)).toEqual(['QUERY_TOO_MANY_ALIASES']);
    expect(tooManyAliases.errors?.[0]?.message).toMatch(/20 aliases; at most 15/);

    const batch = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(batch.status).toBe(400);
  });

  it('refuses a GET query that could be a cross-site request', async () => {
    const response = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
    const withPreflightHeader = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(withPreflightHeader.status).toBe(200);
  });

  it('serves a self-hosted GraphiQL with the example operations in development', async () => {
    const page = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const source of sources) {
      expect(source.startsWith('/graphiql/'), source).toBe(true);
      const asset = await fetch(new URL(source, stack.gatewayUrl));
      expect(asset.status, source).toBe(200);
    }
    const start = await (await fetch(new URL('/graphiql/start.js', stack.gatewayUrl))).text();
    expect(start).toContain('TripsAcrossSilos');
  });

  it('lets the IDE read the schema before signing in, in development only', async () => {
    const introspection: any = await postGraphQL(stack.gatewayUrl, '{ __schema { queryType { name } } }');
    expect(introspection.data.__schema.queryType.name).toBe('Query');
    const data = await postGraphQL(stack.gatewayUrl, '{ __schema { queryType { name } } agencies(first: 1) { nodes { id } } }');
    expect(errorCodes(data)).toEqual(['UNAUTHENTICATED']);
  });

  it('answers /health and /ready on the gateway and every subgraph', async () => {
    for (const url of [stack.gatewayUrl, ...Object.values(stack.subgraphs).map((subgraph) => subgraph.url)]) {
      expect((await fetch(url.replace('/graphql', '/health'))).status).toBe(200);
      expect((await fetch(url.replace('/graphql', '/ready'))).status).toBe(200);
    }
  });
});

describe('the gateway in production', () => {
  let production: RunningGateway;

  beforeAll(async () => {
    production = await startGatewayInFront(
      { hospital: stack.subgraphs.hospital.url, ems: stack.subgraphs.ems.url, center: stack.subgraphs.center.url },
      { NODE_ENV: 'production' },
    );
  });

  afterAll(async () => {
    await production?.stop();
  });

  it('turns off introspection, the IDE and field suggestions, and still serves queries', async () => {
    const introspection = await postGraphQL(production.url, '{ __schema { types { name } } }');
    expect(introspection.errors?.[0]?.message).toMatch(/introspection/i);
    const page = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('graphiql');
    const typo = await postGraphQL(production.url, '{ transportRequest(id: "x") { statsu } }');
    expect(typo.errors?.[0]?.message).not.toMatch(/did you mean/i);
    const query: any = await postGraphQL(production.url, '{ agencies(first: 2) { nodes { name } } }', {}, await stack.as());
    expect(query.data.agencies.nodes).toHaveLength(2);
  });

  it('hides internal error details', async () => {
    const response = await postGraphQL(production.url, '{ transportRequests(first: 1) { nodes { id } } }', {}, await stack.as());
    expect(JSON.stringify(response)).not.toMatch(/stacktrace|at .*\.ts:/);
  });
});
