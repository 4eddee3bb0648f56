import { demo, newId } from '@medport/domain';
import { errorCodes, type GraphQLResponse } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emsSubgraph } from '../src/index.js';
import { startTestEms, type TestEms } from './ems-service.js';

const network = demo.buildDemoNetwork();

let service: TestEms;
const ems = () => service.ems;
const errorFields = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((error) => error.extensions?.field);
const statementsAgainst = (table: string) => service.statements.filter((statement) => statement.includes(`from "${table}"`));
const count = async (table: 'units' | 'service_areas') =>
  Number((await ems().database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  service = await startTestEms();
});

afterAll(async () => {
  await service?.stop();
});

beforeEach(() => {
  service.statements.length = 0;
});

/** agency-1 of the demo accounts (dispatcher@agency-1.demo, admin@agency-1.demo, crew@agency-1.demo). */
const agencyId = network.agencies[0]!.id;

describe('ems subgraph', () => {
  it('seeds the demo network into an empty database once', async () => {
    const agencies = () => ems().database.db.selectFrom('agencies').select('id').execute();
    expect(await agencies()).toHaveLength(network.agencies.length);
    expect(await emsSubgraph.seedDemoData(ems().database.db)).toBe(false);
    expect(await agencies()).toHaveLength(network.agencies.length);
  });

  it('pages through agencies by name with first and after until hasNextPage is false', async () => {
    // Hospitals (choosing preferred agencies) and the center read every agency; a coordinator reads them here.
    type Page = { agencies: { nodes: { id: string; name: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const query = `query ($first: Int, $after: String) {
      agencies(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
    }`;
    const all = (await service.as<Page>('coordinator@hospital-1.demo', query, { first: 200 })).data!.agencies;
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect(all.nodes.length).toBeGreaterThanOrEqual(network.agencies.length);

    const seen: { id: string; name: string }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse<Page> = await service.as<Page>('coordinator@hospital-1.demo', query, { first: 2, after });
      expect(page.errors).toBeUndefined();
      const { nodes, pageInfo } = page.data!.agencies;
      seen.push(...nodes);
      if (!pageInfo.hasNextPage) break;
      expect(nodes).toHaveLength(2);
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual(all.nodes);
    const names = seen.map((agency) => agency.name);
    expect([...names].sort()).toEqual(names);
  });

  it('answers updateAgency for an unknown id with NOT_FOUND', async () => {
    const mutation = `mutation ($id: ID!) { updateAgency(id: $id, input: { name: "Renamed" }) { id } }`;
    expect(errorCodes(await service.as('admin@center.demo', mutation, { id: newId() }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await service.as('admin@center.demo', mutation, { id: 'not-an-id' }))).toEqual(['NOT_FOUND']);
  });

  it('resolves 30 Agency references with one SQL statement against agencies', async () => {
    const known = network.agencies.map((agency) => agency.id);
    // Unknown ids resolve to null; a malformed one must not fail the batch for the others.
    const ids = [...known, 'not-an-id', ...Array.from({ length: 29 - known.length }, () => newId())];
    const response = await service.as<{ _entities: ({ id: string; name: string } | null)[] }>(
      'coordinator@hospital-1.demo',
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Agency { id name } } }`,
      { representations: ids.map((id) => ({ __typename: 'Agency', id })) },
    );

    expect(response.errors).toBeUndefined();
    const entities = response.data!._entities;
    expect(entities).toHaveLength(30);
    expect(entities.slice(0, known.length).map((agency) => agency?.id)).toEqual(known);
    expect(entities.slice(known.length).every((agency) => agency === null)).toBe(true);
    expect(statementsAgainst('agencies')).toHaveLength(1);
  });

  it('lists agencies with their units, service areas and routes in one statement per table', async () => {
    // Center staff see every agency's units, areas and routes.
    const response = await service.as<{ agencies: { nodes: { units: { nodes: { id: string }[] }; serviceAreas: { id: string }[] }[] } }>(
      'analyst@center.demo',
      `{ agencies(first: 50) { nodes { units(first: 3) { nodes { id agency { id } } } serviceAreas { id } routes { id } } } }`,
    );

    expect(response.errors).toBeUndefined();
    const agencies = response.data!.agencies.nodes;
    expect(agencies.every((agency) => agency.units.nodes.length > 0 && agency.serviceAreas.length > 0)).toBe(true);
    expect(service.statements).toHaveLength(4);
    for (const table of ['agencies', 'units', 'service_areas', 'routes']) expect(statementsAgainst(table)).toHaveLength(1);
  });

  it('refuses a duplicate unit number within an agency with CONFLICT and keeps a single row', async () => {
    const mutation = `mutation ($input: CreateUnitInput!) { createUnit(input: $input) { id unitNumber } }`;
    const first = await service.as<{ createUnit: { id: string } }>('dispatcher@agency-1.demo', mutation, {
      input: { agencyId, unitNumber: 'AVE-ALS-77', level: 'ALS' },
    });
    expect(first.errors).toBeUndefined();

    // Crews call units over the radio: 'ave-als-77' is the same unit.
    const second = await service.as('dispatcher@agency-1.demo', mutation, { input: { agencyId, unitNumber: 'ave-als-77', level: 'BLS' } });
    expect(errorCodes(second)).toEqual(['CONFLICT']);

    const rows = await ems()
      .database.db.selectFrom('units')
      .select('id')
      .where('agency_id', '=', agencyId)
      .where(sql<boolean>`lower(unit_number) = 'ave-als-77'`)
      .execute();
    expect(rows).toEqual([{ id: first.data!.createUnit.id }]);
  });

  it('refuses bad unit input with a code and writes nothing', async () => {
    const mutation = `mutation ($input: CreateUnitInput!) { createUnit(input: $input) { id } }`;
    const valid = { agencyId, unitNumber: 'AVE-BLS-88', level: 'BLS', shiftStart: '07:00', shiftEnd: '19:00' };
    const before = await count('units');
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ ...valid, unitNumber: '   ' }, 'BAD_USER_INPUT', 'unitNumber'],
      [{ ...valid, shiftStart: '7:00' }, 'BAD_USER_INPUT', 'shiftStart'],
      [{ ...valid, shiftEnd: '24:00' }, 'BAD_USER_INPUT', 'shiftEnd'],
      [{ ...valid, shiftEnd: null }, 'BAD_USER_INPUT', 'shiftEnd'],
      [{ ...valid, location: { latitude: 95, longitude: 0 } }, 'BAD_USER_INPUT', 'location'],
      [{ ...valid, capabilities: ['OXYGEN', 'OXYGEN'] }, 'BAD_USER_INPUT', 'capabilities'],
    ];
    for (const [input, code, field] of cases) {
      const response = await service.as('dispatcher@agency-1.demo', mutation, { input });
      expect(errorCodes(response), JSON.stringify(input)).toEqual([code]);
      expect(errorFields(response), JSON.stringify(input)).toEqual([field]);
    }
    // Only the center may name any agency; for it, an unknown one is NOT_FOUND.
    for (const unknownAgency of [newId(), 'not-an-id']) {
      const response = await service.as('admin@center.demo', mutation, { input: { ...valid, agencyId: unknownAgency } });
      expect(errorCodes(response), unknownAgency).toEqual(['NOT_FOUND']);
    }
    expect(await count('units')).toBe(before);
  });

  it('changes a unit and refuses to change one end of its shift alone', async () => {
    const unit = network.units.find((candidate) => candidate.agencyId === agencyId)!;
    const update = `mutation ($id: ID!, $input: UpdateUnitInput!) { updateUnit(id: $id, input: $input) { status location { latitude } shiftStart shiftEnd } }`;
    const changed = await service.as<{ updateUnit: unknown }>('dispatcher@agency-1.demo', update, {
      id: unit.id,
      input: { status: 'OUT_OF_SERVICE', location: null, shiftStart: '22:00', shiftEnd: '06:00' },
    });
    expect(changed.data!.updateUnit).toEqual({ status: 'OUT_OF_SERVICE', location: null, shiftStart: '22:00', shiftEnd: '06:00' });

    const oneEnd = await service.as('dispatcher@agency-1.demo', update, { id: unit.id, input: { shiftStart: null } });
    expect(errorCodes(oneEnd)).toEqual(['BAD_USER_INPUT']);
    expect(errorFields(oneEnd)).toEqual(['shiftEnd']);
    expect(errorCodes(await service.as('dispatcher@agency-1.demo', update, { id: newId(), input: { isActive: false } }))).toEqual(['NOT_FOUND']);
  });

  it('refuses a service area with radiusKm 0 as BAD_USER_INPUT and writes nothing', async () => {
    const before = await count('service_areas');
    const response = await service.as('admin@agency-1.demo', `mutation ($input: CreateServiceAreaInput!) { createServiceArea(input: $input) { id } }`, {
      input: { agencyId, name: 'Nowhere', center: { latitude: 40.44, longitude: -79.99 }, radiusKm: 0 },
    });

    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(errorFields(response)).toEqual(['radiusKm']);
    expect(await count('service_areas')).toBe(before);
  });

  it('creates, changes and deletes a service area', async () => {
    const created = await service.as<{ createServiceArea: { id: string; radiusKm: number; center: { latitude: number } } }>(
      'admin@agency-1.demo',
      `mutation ($input: CreateServiceAreaInput!) { createServiceArea(input: $input) { id radiusKm center { latitude } } }`,
      { input: { agencyId, name: 'North Hills', center: { latitude: 40.55, longitude: -80.02 }, radiusKm: 12.5 } },
    );
    expect(created.data!.createServiceArea).toMatchObject({ radiusKm: 12.5, center: { latitude: 40.55 } });
    const id = created.data!.createServiceArea.id;

    const paused = await service.as<{ updateServiceArea: { isActive: boolean; radiusKm: number } }>(
      'admin@agency-1.demo',
      `mutation ($id: ID!) { updateServiceArea(id: $id, input: { isActive: false, radiusKm: 500 }) { isActive radiusKm } }`,
      { id },
    );
    expect(paused.data!.updateServiceArea).toEqual({ isActive: false, radiusKm: 500 });

    const remove = `mutation ($id: ID!) { deleteServiceArea(id: $id) }`;
    expect((await service.as<{ deleteServiceArea: string }>('admin@agency-1.demo', remove, { id })).data!.deleteServiceArea).toBe(id);
    expect(errorCodes(await service.as('admin@agency-1.demo', remove, { id }))).toEqual(['NOT_FOUND']);
  });

  it('adds the agencies’ responses to a trip ems holds, and none to a trip it never saw', async () => {
    const trip = network.trips.find((candidate) => candidate.responses.length > 1)!;
    // Center staff see every agency's answer to every trip.
    const response = await service.as<{ _entities: { id: string; responses: { status: string; agency: { id: string } }[] }[] }>(
      'analyst@center.demo',
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on TransportRequest { id responses { status agency { id } } } }
      }`,
      { representations: [{ __typename: 'TransportRequest', id: trip.id }, { __typename: 'TransportRequest', id: newId() }] },
    );

    expect(response.errors).toBeUndefined();
    const [known, unknown] = response.data!._entities;
    const agencies = (ids: string[]) => [...ids].sort();
    expect(agencies(known!.responses.map((answer) => answer.agency.id))).toEqual(agencies(trip.responses.map((answer) => answer.agencyId)));
    expect(unknown!.responses).toEqual([]);
  });

  it('answers /health and /ready', async () => {
    const base = ems().url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});
