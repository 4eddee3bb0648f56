import { randomUUID } from 'node:crypto';
import { demo, newId, stableId } from '@medport/domain';
import { errorCodes, type GraphQLResponse } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEms, type DemoEmail, type TestEms } from './ems-service.js';

const network = demo.buildDemoNetwork();
const agency1 = network.agencies[0]!;
const agency2 = network.agencies[1]!;
const unitsOf = (agency: { id: string }) => network.units.filter((unit) => unit.agencyId === agency.id);
const userOf = (email: DemoEmail) => network.users.find((user) => user.email === email)!;
const hospital1 = userOf('coordinator@hospital-1.demo').hospitalId!;
const agency1Unit = unitsOf(agency1)[0]!;
const agency2Unit = unitsOf(agency2)[0]!;
const agency1Area = stableId(`${agency1.slug}/service-area-1`);
/** A trip of hospital-1 that agency-1 and other agencies answered. */
const trip = network.trips.find(
  (candidate) =>
    candidate.hospitalId === hospital1 &&
    candidate.responses.some((answer) => answer.agencyId === agency1.id) &&
    candidate.responses.some((answer) => answer.agencyId === agency2.id),
)!;

let service: TestEms;
const db = () => service.ems.database.db;

beforeAll(async () => {
  service = await startTestEms();
});

afterAll(async () => {
  await service?.stop();
});

type UnitNode = { id: string; agency: { id: string } };
type UnitPage = { nodes: UnitNode[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

const UNIT_BY_ID = `query ($id: ID!) { unit(id: $id) { id unitNumber level } }`;
const RESPONSES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on TransportRequest { responses { status agency { id } } } }
}`;

/** Every mutation of the ems silo, each aimed at agency-1 and valid in itself: only the caller decides the outcome. */
const MUTATIONS: { name: string; query: string; variables: Record<string, unknown> }[] = [
  { name: 'updateAgency', query: `mutation ($id: ID!) { updateAgency(id: $id, input: { phone: "555-0100" }) { id } }`, variables: { id: agency1.id } },
  {
    name: 'createUnit',
    query: `mutation ($input: CreateUnitInput!) { createUnit(input: $input) { id } }`,
    variables: { input: { agencyId: agency1.id, unitNumber: 'ROGUE-1', level: 'BLS' } },
  },
  { name: 'updateUnit', query: `mutation ($id: ID!) { updateUnit(id: $id, input: { status: OUT_OF_SERVICE }) { id } }`, variables: { id: agency1Unit.id } },
  {
    name: 'createServiceArea',
    query: `mutation ($input: CreateServiceAreaInput!) { createServiceArea(input: $input) { id } }`,
    variables: { input: { agencyId: agency1.id, name: 'Rogue area', center: { latitude: 40.4, longitude: -80 }, radiusKm: 5 } },
  },
  { name: 'updateServiceArea', query: `mutation ($id: ID!) { updateServiceArea(id: $id, input: { radiusKm: 1 }) { id } }`, variables: { id: agency1Area } },
  { name: 'deleteServiceArea', query: `mutation ($id: ID!) { deleteServiceArea(id: $id) }`, variables: { id: agency1Area } },
  {
    name: 'respondToTrip',
    query: `mutation ($tripId: ID!) { respondToTrip(tripId: $tripId, input: { decision: DECLINE, declineReason: "No crew" }) { id } }`,
    variables: { tripId: trip.id },
  },
  { name: 'assignUnit', query: `mutation ($tripId: ID!, $unitId: ID!) { assignUnit(tripId: $tripId, unitId: $unitId) { id } }`, variables: { tripId: trip.id, unitId: agency1Unit.id } },
  { name: 'reportTripProgress', query: `mutation ($tripId: ID!) { reportTripProgress(tripId: $tripId, status: EN_ROUTE) { id } }`, variables: { tripId: trip.id } },
];

/** What a refused attempt must not have touched. */
async function agency1Snapshot() {
  const [agency, units, areas] = await Promise.all([
    db().selectFrom('agencies').selectAll().where('id', '=', agency1.id).executeTakeFirstOrThrow(),
    db().selectFrom('units').selectAll().where('agency_id', '=', agency1.id).orderBy('id').execute(),
    db().selectFrom('service_areas').selectAll().where('agency_id', '=', agency1.id).orderBy('id').execute(),
  ]);
  const agencies = await db().selectFrom('agencies').select('id').execute();
  return { agency, units, areas, agencies: agencies.length };
}

describe('tenant isolation in the ems silo', () => {
  it('answers the dispatcher of agency-2 asking for an agency-1 unit with the same NOT_FOUND as an unknown id', async () => {
    const hidden = await service.as('dispatcher@agency-2.demo', UNIT_BY_ID, { id: agency1Unit.id });
    const unknownId = newId();
    const unknown = await service.as('dispatcher@agency-2.demo', UNIT_BY_ID, { id: unknownId });

    expect(errorCodes(hidden)).toEqual(['NOT_FOUND']);
    expect(hidden.data).toEqual({ unit: null });
    // Nothing in the answer tells the two apart but the id the caller sent itself.
    const shape = (response: GraphQLResponse<unknown>, id: string) => JSON.stringify(response).replaceAll(id, '<id>');
    expect(shape(hidden, agency1Unit.id)).toBe(shape(unknown, unknownId));

    const own = await service.as<{ unit: { id: string } }>('dispatcher@agency-2.demo', UNIT_BY_ID, { id: agency2Unit.id });
    expect(own.errors).toBeUndefined();
    expect(own.data!.unit.id).toBe(agency2Unit.id);
  });

  it('never lists agency-1 units to the dispatcher of agency-2, in units or in agency(agency-1).units', async () => {
    const all = await service.as<{ units: UnitPage }>('dispatcher@agency-2.demo', `{ units(first: 100) { nodes { id agency { id } } pageInfo { hasNextPage } } }`);
    expect(all.errors).toBeUndefined();
    expect(all.data!.units.nodes.map((unit) => unit.id).sort()).toEqual(unitsOf(agency2).map((unit) => unit.id).sort());

    // The scope is a condition of the statement: pages are full and end where the agency's units end.
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse<{ units: UnitPage }> = await service.as<{ units: UnitPage }>(
        'dispatcher@agency-2.demo',
        `query ($after: String) { units(first: 2, after: $after) { nodes { id agency { id } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const { nodes, pageInfo } = page.data!.units;
      expect(nodes.every((unit) => unit.agency.id === agency2.id)).toBe(true);
      seen.push(...nodes.map((unit) => unit.id));
      if (!pageInfo.hasNextPage) break;
      expect(nodes).toHaveLength(2);
      after = pageInfo.endCursor;
    }
    expect(seen).toHaveLength(unitsOf(agency2).length);
    const exact = await service.as<{ units: UnitPage }>('dispatcher@agency-2.demo', `query ($first: Int) { units(first: $first) { nodes { id } pageInfo { hasNextPage } } }`, {
      first: unitsOf(agency2).length,
    });
    expect(exact.data!.units.nodes).toHaveLength(unitsOf(agency2).length);
    expect(exact.data!.units.pageInfo.hasNextPage).toBe(false);

    const filtered = await service.as<{ units: UnitPage }>('dispatcher@agency-2.demo', `query ($agencyId: ID!) { units(filter: { agencyId: $agencyId }) { nodes { id } } }`, {
      agencyId: agency1.id,
    });
    expect(filtered.data!.units.nodes).toEqual([]);

    const agencies = await service.as<{ other: AgencyView; own: AgencyView; agencies: { nodes: { id: string; units: { nodes: UnitNode[] } }[] } }>(
      'dispatcher@agency-2.demo',
      `query ($other: ID!, $own: ID!) {
        other: agency(id: $other) { id name units(includeInactive: true) { nodes { id } } serviceAreas { id } routes { id } }
        own: agency(id: $own) { id name units { nodes { id } } serviceAreas { id } routes { id } }
        agencies(first: 10) { nodes { id units(first: 40) { nodes { id agency { id } } } } }
      }`,
      { other: agency1.id, own: agency2.id },
    );
    // Another agency does not exist for an agency's staff: not by id, not in the list.
    expect(errorCodes(agencies)).toEqual(['NOT_FOUND']);
    expect(agencies.data!.other).toBeNull();
    expect(agencies.data!.agencies.nodes.map((agency) => agency.id)).toEqual([agency2.id]);
    expect(agencies.data!.own.units.nodes).toHaveLength(unitsOf(agency2).length);
    expect(agencies.data!.own.serviceAreas.length).toBeGreaterThan(0);
    expect(agencies.data!.own.routes.length).toBeGreaterThan(0);
    const listed = agencies.data!.agencies.nodes.flatMap((agency) => agency.units.nodes);
    expect(listed.length).toBe(unitsOf(agency2).length);
    expect(listed.every((unit) => unit.agency.id === agency2.id)).toBe(true);
  });

  it('keeps agency-1 units hidden from agency-2 behind aliases, fragments and _entities', async () => {
    const response = await service.as<{
      mine: UnitNode;
      theirs: UnitNode | null;
      list: { nodes: UnitNode[] };
      viaAgency: { units: { nodes: UnitNode[] } };
    }>(
      'dispatcher@agency-2.demo',
      `query Probe($own: ID!, $other: ID!, $agency: ID!) {
        mine: unit(id: $own) { ...UnitFields }
        theirs: unit(id: $other) { ...UnitFields }
        list: units(first: 40, filter: { includeInactive: true }) { nodes { ...UnitFields } }
        viaAgency: agency(id: $agency) { ... on Agency { units(first: 40) { ...UnitList } } }
      }
      fragment UnitList on UnitConnection { nodes { ...UnitFields } }
      fragment UnitFields on Unit { id agency { id } }`,
      { own: agency2Unit.id, other: agency1Unit.id, agency: agency1.id },
    );
    expect(errorCodes(response)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(response.errors!.map((error) => error.path).sort()).toEqual([['theirs'], ['viaAgency']]);
    expect(response.data!.mine.id).toBe(agency2Unit.id);
    expect(response.data!.theirs).toBeNull();
    expect(response.data!.list.nodes.some((unit) => unit.agency.id === agency1.id)).toBe(false);
    expect(response.data!.viaAgency).toBeNull();

    const entities = await service.as<{ _entities: ({ id: string; unitNumber: string } | null)[] }>(
      'dispatcher@agency-2.demo',
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Unit { id unitNumber availability { id } } } }`,
      { representations: [agency2Unit.id, agency1Unit.id, ...unitsOf(agency1).map((unit) => unit.id)].map((id) => ({ __typename: 'Unit', id })) },
    );
    expect(entities.errors).toBeUndefined();
    const [own, ...others] = entities.data!._entities;
    expect(own!.id).toBe(agency2Unit.id);
    expect(others.every((unit) => unit === null)).toBe(true);
  });

  it('shows a hospital coordinator the units of every agency with their number and level', async () => {
    const all = await service.as<{ units: { nodes: { id: string }[] } }>('coordinator@hospital-1.demo', `{ units(first: 100) { nodes { id } } }`);
    expect(all.data!.units.nodes).toHaveLength(network.units.length);

    const one = await service.as<{ unit: { unitNumber: string; level: string } }>('coordinator@hospital-1.demo', UNIT_BY_ID, { id: agency1Unit.id });
    expect(one.data!.unit).toEqual({ id: agency1Unit.id, unitNumber: agency1Unit.unitNumber, level: agency1Unit.level });

    const entities = await service.as<{ _entities: ({ unitNumber: string } | null)[] }>(
      'coordinator@hospital-1.demo',
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Unit { unitNumber level } } }`,
      { representations: [agency1Unit, agency2Unit].map((unit) => ({ __typename: 'Unit', id: unit.id })) },
    );
    expect(entities.data!._entities.map((unit) => unit?.unitNumber)).toEqual([agency1Unit.unitNumber, agency2Unit.unitNumber]);
  });

  it("shows every response to a trip to its hospital's coordinator, none to another hospital's, and agency-1's own to its dispatcher", async () => {
    const responsesAs = async (email: DemoEmail) => {
      const response = await service.as<{ _entities: { responses: { agency: { id: string } }[] }[] }>(email, RESPONSES, {
        representations: [{ __typename: 'TransportRequest', id: trip.id }],
      });
      expect(response.errors, email).toBeUndefined();
      return response.data!._entities[0]!.responses.map((answer) => answer.agency.id).sort();
    };
    const everyAgency = trip.responses.map((answer) => answer.agencyId).sort();

    expect(await responsesAs('coordinator@hospital-1.demo')).toEqual(everyAgency);
    expect(await responsesAs('coordinator@hospital-2.demo')).toEqual([]);
    expect(await responsesAs('dispatcher@agency-1.demo')).toEqual([agency1.id]);
    expect(await responsesAs('dispatcher@agency-2.demo')).toEqual([agency2.id]);
    expect(await responsesAs('analyst@center.demo')).toEqual(everyAgency);
  });

  it('offers no way to add an agency in the ems silo: agencies join only through the center registration', async () => {
    const before = await agency1Snapshot();
    const attempt = `mutation ($input: CreateAgencyInput!) { createAgency(input: $input) { id } }`;
    const input = { name: 'Rogue Ambulance', address: { line: '1 Main St', city: 'Pittsburgh', state: 'PA', postalCode: '15213' }, capabilities: ['BLS'] };
    for (const email of ['admin@center.demo', 'admin@agency-1.demo'] as const) {
      const response = await service.as(email, attempt, { input });
      expect(new Set(errorCodes(response)), email).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(response.errors!.some((error) => error.message.includes('"createAgency"')), email).toBe(true);
    }
    expect(await agency1Snapshot()).toEqual(before);
  });

  it('lets the administrator of agency-1 change its phone but refuses isActive with FORBIDDEN, and status to everyone', async () => {
    const update = `mutation ($input: UpdateAgencyInput!) { updateAgency(id: "${agency1.id}", input: $input) { phone status isActive } }`;
    const changed = await service.as<{ updateAgency: unknown }>('admin@agency-1.demo', update, { input: { phone: '412-555-0199' } });
    expect(changed.errors).toBeUndefined();
    expect(changed.data!.updateAgency).toEqual({ phone: '412-555-0199', status: 'ACTIVE', isActive: true });

    const before = await agency1Snapshot();
    for (const input of [{ isActive: false }, { phone: '412-555-0000', isActive: false }]) {
      expect(errorCodes(await service.as('admin@agency-1.demo', update, { input })), JSON.stringify(input)).toEqual(['FORBIDDEN']);
    }
    // The status is the center's registry's (setServiceStatus); ems takes no status from anyone.
    for (const email of ['admin@agency-1.demo', 'admin@center.demo'] as const) {
      const refused = await service.as(email, update, { input: { status: 'SUSPENDED' } });
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await agency1Snapshot()).toEqual(before);
  });

  it('answers the administrator of agency-2 changing agency-1 with NOT_FOUND, as for an unknown agency', async () => {
    // Agency-1 does not exist for agency-2's staff, so the answer is the one an unknown id gets.
    const before = await agency1Snapshot();
    const response = await service.as('admin@agency-2.demo', `mutation ($id: ID!) { updateAgency(id: $id, input: { phone: "555-0100" }) { id } }`, {
      id: agency1.id,
    });
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    const unknown = await service.as('admin@agency-2.demo', `mutation ($id: ID!) { updateAgency(id: $id, input: { phone: "555-0100" }) { id } }`, {
      id: '0f0f0f0f-0000-4000-8000-000000000000',
    });
    expect(unknown.errors![0]!.message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(response.errors![0]!.message.replace(/[0-9a-f-]{36}/, 'ID'));
    expect(await agency1Snapshot()).toEqual(before);
  });

  it('refuses the crew of agency-1 creating or changing a unit with FORBIDDEN', async () => {
    const before = await agency1Snapshot();
    const createUnit = MUTATIONS.find((mutation) => mutation.name === 'createUnit')!;
    const updateUnit = MUTATIONS.find((mutation) => mutation.name === 'updateUnit')!;
    expect(errorCodes(await service.as('crew@agency-1.demo', createUnit.query, createUnit.variables))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await service.as('crew@agency-1.demo', updateUnit.query, updateUnit.variables))).toEqual(['FORBIDDEN']);
    expect(await agency1Snapshot()).toEqual(before);
  });

  it("answers agency-2 changing agency-1's units and areas with NOT_FOUND and creating them for agency-1 with FORBIDDEN", async () => {
    const before = await agency1Snapshot();
    const byName = (name: string) => MUTATIONS.find((mutation) => mutation.name === name)!;
    const attempts: [DemoEmail, string, string][] = [
      ['dispatcher@agency-2.demo', 'updateUnit', 'NOT_FOUND'],
      ['admin@agency-2.demo', 'updateUnit', 'NOT_FOUND'],
      ['admin@agency-2.demo', 'updateServiceArea', 'NOT_FOUND'],
      ['admin@agency-2.demo', 'deleteServiceArea', 'NOT_FOUND'],
      ['dispatcher@agency-2.demo', 'createUnit', 'FORBIDDEN'],
      ['admin@agency-2.demo', 'createServiceArea', 'FORBIDDEN'],
      // Dispatchers keep the fleet, not the coverage, even of their own agency.
      ['dispatcher@agency-1.demo', 'updateServiceArea', 'FORBIDDEN'],
    ];
    for (const [email, name, code] of attempts) {
      const { query, variables } = byName(name);
      expect(errorCodes(await service.as(email, query, variables)), `${email} ${name}`).toEqual([code]);
    }
    expect(await agency1Snapshot()).toEqual(before);
  });

  it('lets center staff read everything but refuses them every mutation with FORBIDDEN, as it does hospital staff', async () => {
    const units = await service.as<{ units: { nodes: unknown[] } }>('analyst@center.demo', `{ units(first: 100) { nodes { id } } }`);
    expect(units.data!.units.nodes).toHaveLength(network.units.length);
    const agency = await service.as<{ agency: { serviceAreas: unknown[]; routes: unknown[]; units: { nodes: unknown[] } } }>(
      'analyst@center.demo',
      `query ($id: ID!) { agency(id: $id) { serviceAreas { id } routes { id } units { nodes { id } } } }`,
      { id: agency1.id },
    );
    expect(agency.data!.agency.units.nodes).toHaveLength(unitsOf(agency1).length);
    expect(agency.data!.agency.serviceAreas.length).toBeGreaterThan(0);
    expect(agency.data!.agency.routes.length).toBeGreaterThan(0);

    const before = await agency1Snapshot();
    for (const email of ['analyst@center.demo', 'coordinator@hospital-1.demo'] as const) {
      for (const { name, query, variables } of MUTATIONS) {
        expect(errorCodes(await service.as(email, query, variables)), `${email} ${name}`).toEqual(['FORBIDDEN']);
      }
    }
    expect(await agency1Snapshot()).toEqual(before);
  });

  it('leaves a DENIED audit row naming actor, role, tenant, action, entity, operation and request for every refused mutation', async () => {
    const byName = (name: string) => MUTATIONS.find((mutation) => mutation.name === name)!;
    const attempts: { email: DemoEmail; mutation: string; action: string; entityType: string; entityId: string | null }[] = [
      { email: 'dispatcher@agency-1.demo', mutation: 'updateAgency', action: 'UPDATE_AGENCY', entityType: 'Agency', entityId: agency1.id },
      { email: 'admin@agency-2.demo', mutation: 'updateAgency', action: 'UPDATE_AGENCY', entityType: 'Agency', entityId: agency1.id },
      { email: 'crew@agency-1.demo', mutation: 'createUnit', action: 'CREATE_UNIT', entityType: 'Unit', entityId: null },
      // Answered NOT_FOUND, like an unknown unit, yet on record as the refused attempt it was.
      { email: 'dispatcher@agency-2.demo', mutation: 'updateUnit', action: 'UPDATE_UNIT', entityType: 'Unit', entityId: agency1Unit.id },
      { email: 'admin@agency-2.demo', mutation: 'createServiceArea', action: 'CREATE_SERVICE_AREA', entityType: 'ServiceArea', entityId: null },
      { email: 'dispatcher@agency-1.demo', mutation: 'updateServiceArea', action: 'UPDATE_SERVICE_AREA', entityType: 'ServiceArea', entityId: agency1Area },
      { email: 'admin@agency-2.demo', mutation: 'deleteServiceArea', action: 'DELETE_SERVICE_AREA', entityType: 'ServiceArea', entityId: agency1Area },
      { email: 'analyst@center.demo', mutation: 'updateUnit', action: 'UPDATE_UNIT', entityType: 'Unit', entityId: agency1Unit.id },
      { email: 'coordinator@hospital-1.demo', mutation: 'updateAgency', action: 'UPDATE_AGENCY', entityType: 'Agency', entityId: agency1.id },
    ];
    for (const attempt of attempts) {
      const requestId = `tenant-test-${randomUUID()}`;
      const operationName = `Refused${attempt.action.replaceAll('_', '')}`;
      const { query, variables } = byName(attempt.mutation);
      const named = query.replace(/^mutation /, `mutation ${operationName}`);
      const response = await service.as(attempt.email, named, variables, { 'x-request-id': requestId });
      expect(response.errors, attempt.email).toHaveLength(1);

      const user = userOf(attempt.email);
      const rows = await db().selectFrom('audit_log').selectAll().where('request_id', '=', requestId).execute();
      expect(rows, `${attempt.email} ${attempt.mutation}`).toMatchObject([
        {
          actor_id: user.id,
          actor_role: user.role,
          tenant_id: user.agencyId ?? user.hospitalId ?? null,
          action: attempt.action,
          entity_type: attempt.entityType,
          entity_id: attempt.entityId,
          operation_name: operationName,
          request_id: requestId,
          outcome: 'DENIED',
        },
      ]);
    }
  });

  it('records ALLOWED after a change and FAILED when an allowed change is refused as bad input or a conflict', async () => {
    const createUnit = `mutation ($input: CreateUnitInput!) { createUnit(input: $input) { id } }`;
    const input = { agencyId: agency1.id, unitNumber: 'AUDIT-1', level: 'BLS' };
    const created = await service.as<{ createUnit: { id: string } }>('dispatcher@agency-1.demo', createUnit, { input }, { 'x-request-id': 'audit-allowed' });
    const duplicate = await service.as('dispatcher@agency-1.demo', createUnit, { input }, { 'x-request-id': 'audit-conflict' });
    const blank = await service.as('dispatcher@agency-1.demo', createUnit, { input: { ...input, unitNumber: ' ' } }, { 'x-request-id': 'audit-bad-input' });
    expect(errorCodes(duplicate)).toEqual(['CONFLICT']);
    expect(errorCodes(blank)).toEqual(['BAD_USER_INPUT']);

    const rowOf = (requestId: string) => db().selectFrom('audit_log').selectAll().where('request_id', '=', requestId).executeTakeFirstOrThrow();
    expect(await rowOf('audit-allowed')).toMatchObject({ action: 'CREATE_UNIT', entity_type: 'Unit', entity_id: created.data!.createUnit.id, outcome: 'ALLOWED' });
    expect(await rowOf('audit-conflict')).toMatchObject({ action: 'CREATE_UNIT', outcome: 'FAILED', details: { code: 'CONFLICT', agencyId: agency1.id } });
    expect(await rowOf('audit-bad-input')).toMatchObject({ action: 'CREATE_UNIT', outcome: 'FAILED', details: { code: 'BAD_USER_INPUT' } });
  });

  it('keeps audit rows from being changed or deleted through the database', async () => {
    const before = await db().selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(before.length).toBeGreaterThan(0);

    await expect(db().updateTable('audit_log').set({ outcome: 'ALLOWED' }).where('outcome', '=', 'DENIED').execute()).rejects.toThrow(/append-only/);
    await expect(db().deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db())).rejects.toThrow(/append-only/);
    expect(await db().selectFrom('audit_log').selectAll().orderBy('id').execute()).toEqual(before);
  });

  it('serves emsAuditTrail to the center administrator and refuses it to everyone else with FORBIDDEN', async () => {
    const trail = `query { emsAuditTrail(filter: { outcome: DENIED, action: "UPDATE_UNIT" }, first: 100) {
      nodes { actorRole action entityId outcome } pageInfo { hasNextPage } } }`;
    const admin = await service.as<{ emsAuditTrail: { nodes: { actorRole: string; entityId: string; outcome: string }[] } }>('admin@center.demo', trail);
    expect(admin.errors).toBeUndefined();
    expect(admin.data!.emsAuditTrail.nodes).toContainEqual({ actorRole: 'EMS_DISPATCHER', action: 'UPDATE_UNIT', entityId: agency1Unit.id, outcome: 'DENIED' });

    for (const email of ['analyst@center.demo', 'admin@agency-1.demo', 'dispatcher@agency-2.demo', 'coordinator@hospital-1.demo'] as const) {
      const refused = await service.as(email, trail);
      expect(errorCodes(refused), email).toEqual(['FORBIDDEN']);
    }
  });
});

type AgencyView = { id: string; name: string; units: { nodes: unknown[] }; serviceAreas: unknown[]; routes: unknown[] };
