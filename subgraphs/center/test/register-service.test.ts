import { randomUUID } from 'node:crypto';
import type { AuditEntryRow } from '@medport/audit';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId, type EventContracts } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, type TestDatabase } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';

let database: TestDatabase;
let center: RunningSubgraph<CenterDatabase>;
const network = demo.buildDemoNetwork();
const tokens = new Map<string, string>();

beforeAll(async () => {
  database = await createTestDatabase('center');
  const config = loadSubgraphConfig('center', 0, { ...database.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  center = await startSubgraph(centerSubgraph, config);
});

afterAll(async () => {
  await center?.stop();
  await database?.drop();
});

const LOGIN = `mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`;

async function tokenOf(email: string): Promise<string> {
  const known = tokens.get(email);
  if (known) return known;
  const response = await postGraphQL<{ login: { accessToken: string } }>(center.url, LOGIN, { email, password: demo.DEMO_PASSWORD });
  expect(response.errors, email).toBeUndefined();
  tokens.set(email, response.data!.login.accessToken);
  return response.data!.login.accessToken;
}

/** Sends an operation as a demo account over real HTTP, with a request id of its own to find its audit rows. */
async function as<Data = Record<string, any>>(email: string, query: string, variables: Record<string, unknown> = {}, requestId = randomUUID()) {
  return postGraphQL<Data>(center.url, query, variables, { ...bearer(await tokenOf(email)), 'x-request-id': requestId });
}

const ADMIN = 'admin@center.demo';
const ADMIN_ID = stableId('user/admin@center.demo');

const REGISTER = `mutation Register($input: RegisterServiceInput!) {
  registerService(input: $input) { id serviceName serviceType status agency { id } addedBy { id } addedAt configuration }
}`;

interface Registered {
  registerService: {
    id: string;
    serviceName: string;
    serviceType: string;
    status: string;
    agency: { id: string };
    addedBy: { id: string } | null;
    addedAt: string;
    configuration: string;
  };
}

/** A complete, valid input; each test changes what it is about. */
const validInput = (name: string) => ({
  name,
  capabilities: ['ALS', 'BLS'],
  equipment: ['OXYGEN', 'CARDIAC_MONITOR'],
  contactName: 'Dana Reyes',
  phone: '+1 (555) 010-0199 x12',
  email: 'Dispatch@Lakeside-EMS.example',
  address: { line: '12 Harbor Road', city: 'Lakeside', state: 'CA', postalCode: '94000' },
  serviceArea: { name: 'Lakeside metro', center: { latitude: 37.77, longitude: -122.42 }, radiusKm: 35.5 },
  configuration: '{"maxConcurrentTrips": 4, "billing": {"plan": "standard"}}',
});

const count = async (table: 'service_registry' | 'outbox_events') =>
  Number((await center.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

/** What a failed or refused attempt must leave unchanged: no registration and no event. */
async function writtenRows() {
  return { registrations: await count('service_registry'), events: await count('outbox_events') };
}

const auditRowsOf = (requestId: string): Promise<AuditEntryRow[]> =>
  center.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('occurred_at').execute();

const eventsFor = (agencyId: string) =>
  center.database.db.selectFrom('outbox_events').selectAll().where('aggregate_id', '=', agencyId).execute();

describe('registerService', () => {
  it('stores an ACTIVE registration under a new agency id and exactly one ServiceRegistered event in the same transaction', async () => {
    const before = await writtenRows();
    const requestId = randomUUID();
    const response = await as<Registered>(ADMIN, REGISTER, { input: validInput('  Lakeside Medical Transport  ') }, requestId);
    expect(response.errors).toBeUndefined();
    const registered = response.data!.registerService;
    expect(registered).toMatchObject({ serviceName: 'Lakeside Medical Transport', serviceType: 'EMS_AGENCY', status: 'ACTIVE', addedBy: { id: ADMIN_ID } });
    expect(JSON.parse(registered.configuration)).toEqual({ maxConcurrentTrips: 4, billing: { plan: 'standard' } });
    const agencyId = registered.agency.id;
    expect(agencyId).not.toBe(registered.id);

    expect(await writtenRows()).toEqual({ registrations: before.registrations + 1, events: before.events + 1 });
    const row = await center.database.db.selectFrom('service_registry').selectAll().where('id', '=', registered.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ agency_id: agencyId, service_name: 'Lakeside Medical Transport', status: 'ACTIVE', added_by_id: ADMIN_ID });

    const events = await eventsFor(agencyId);
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe('ServiceRegistered');
    const payload: EventContracts['ServiceRegistered'] = {
      agencyId,
      registrationId: registered.id,
      name: 'Lakeside Medical Transport',
      status: 'ACTIVE',
      levels: ['ALS', 'BLS'],
      equipment: ['OXYGEN', 'CARDIAC_MONITOR'],
      phone: '+1 (555) 010-0199 x12',
      email: 'dispatch@lakeside-ems.example',
      contactName: 'Dana Reyes',
      address: { line: '12 Harbor Road', city: 'Lakeside', state: 'CA', postalCode: '94000' },
      serviceArea: { name: 'Lakeside metro', latitude: 37.77, longitude: -122.42, radiusKm: 35.5 },
      registeredById: ADMIN_ID,
      registeredAt: new Date(registered.addedAt).toISOString(),
    };
    expect(events[0]!.payload).toEqual(payload);

    // The event's transaction (xid8, epoch-extended) is the one that wrote the registration row (xmin, 32 bits).
    const written = await sql<{ registration_xid: string; event_xid: string }>`
      select r.xmin::text as registration_xid, (o.transaction_id::text::numeric % 4294967296)::text as event_xid
      from service_registry r, outbox_events o
      where r.id = ${registered.id} and o.aggregate_id = ${agencyId}`.execute(center.database.db);
    expect(written.rows).toHaveLength(1);
    expect(written.rows[0]!.event_xid).toBe(written.rows[0]!.registration_xid);

    const audit = await auditRowsOf(requestId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'REGISTER_SERVICE', outcome: 'ALLOWED', entity_type: 'ServiceRegistration', entity_id: registered.id, actor_id: ADMIN_ID });
  });

  it('leaves equipment empty, the terms an empty object and the service area out when the input does not give them', async () => {
    const { equipment: _, serviceArea: __, configuration: ___, contactName: ____, phone: _____, email: ______, ...minimal } = validInput('Minimal Ambulance Co');
    const response = await as<Registered>(ADMIN, REGISTER, { input: minimal });
    expect(response.errors).toBeUndefined();
    const registered = response.data!.registerService;
    expect(JSON.parse(registered.configuration)).toEqual({});
    const [event] = await eventsFor(registered.agency.id);
    expect(event!.payload).toMatchObject({ equipment: [], serviceArea: null, phone: null, email: null, contactName: null, levels: ['ALS', 'BLS'] });
  });

  it('lets a new agency have accounts once it is registered', async () => {
    const registered = await as<Registered>(ADMIN, REGISTER, { input: validInput('Account Ready EMS') });
    expect(registered.errors).toBeUndefined();
    const account = await as(ADMIN, `mutation($input: CreateUserInput!) { createUser(input: $input) { agency { id } } }`, {
      input: { email: 'admin@account-ready.example', name: 'Ready Admin', role: 'EMS_ADMIN', agencyId: registered.data!.registerService.agency.id, password: 'a long enough passphrase' },
    });
    expect(account.errors).toBeUndefined();
    expect(account.data!.createUser.agency.id).toBe(registered.data!.registerService.agency.id);
  });

  it('refuses center staff, hospital and EMS accounts with FORBIDDEN, writes nothing and records the refusal', async () => {
    for (const email of ['analyst@center.demo', 'coordinator@hospital-1.demo', 'dispatcher@agency-1.demo', 'crew@agency-1.demo']) {
      const before = await writtenRows();
      const requestId = randomUUID();
      const response = await as(email, REGISTER, { input: validInput(`Refused Agency ${email}`) }, requestId);
      expect(errorCodes(response), email).toEqual(['FORBIDDEN']);
      expect(response.data, email).toBeNull();
      expect(await writtenRows(), email).toEqual(before);
      const audit = await auditRowsOf(requestId);
      expect(audit.map((row) => [row.action, row.outcome]), email).toEqual([['REGISTER_SERVICE', 'DENIED']]);
    }
  });

  it('rejects bad input with BAD_USER_INPUT naming the field, and writes neither a registration nor an event', async () => {
    const valid = validInput('Valid Name EMS');
    const cases: [string, Record<string, unknown>, string][] = [
      ['a one-letter name', { name: '  A  ' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name of 121 characters', { name: 'N'.repeat(121) }, 'name'],
      ['no capabilities', { capabilities: [] }, 'capabilities'],
      ['a repeated capability', { capabilities: ['ALS', 'ALS'] }, 'capabilities'],
      ['repeated equipment', { equipment: ['OXYGEN', 'OXYGEN'] }, 'equipment'],
      ['a phone that is a word', { phone: 'call the front desk' }, 'phone'],
      ['a phone with too few digits', { phone: '12-34' }, 'phone'],
      ['an email without a domain', { email: 'dispatch@' }, 'email'],
      ['an empty city', { address: { ...valid.address, city: ' ' } }, 'address.city'],
      ['an empty address line', { address: { ...valid.address, line: '' } }, 'address.line'],
      ['an empty service area name', { serviceArea: { ...valid.serviceArea, name: ' ' } }, 'serviceArea.name'],
      ['a latitude off the map', { serviceArea: { ...valid.serviceArea, center: { latitude: 91, longitude: 0 } } }, 'serviceArea.center'],
      ['a zero radius', { serviceArea: { ...valid.serviceArea, radiusKm: 0 } }, 'serviceArea.radiusKm'],
      ['a negative radius', { serviceArea: { ...valid.serviceArea, radiusKm: -3 } }, 'serviceArea.radiusKm'],
      ['a radius over 500 km', { serviceArea: { ...valid.serviceArea, radiusKm: 500.5 } }, 'serviceArea.radiusKm'],
      ['terms that are not JSON', { configuration: '{maxConcurrentTrips: 4}' }, 'configuration'],
      ['terms that are a JSON array', { configuration: '[1, 2]' }, 'configuration'],
      ['terms that are JSON null', { configuration: 'null' }, 'configuration'],
    ];
    for (const [what, change, field] of cases) {
      const before = await writtenRows();
      const requestId = randomUUID();
      const response = await as(ADMIN, REGISTER, { input: { ...valid, ...change } }, requestId);
      expect(errorCodes(response), what).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions!.field, what).toBe(field);
      expect(await writtenRows(), what).toEqual(before);
      const audit = await auditRowsOf(requestId);
      expect(audit.map((row) => [row.outcome, (row.details as { field?: string }).field]), what).toEqual([['FAILED', field]]);
    }
  });

  it('accepts a radius of exactly 500 km', async () => {
    const input = validInput('Wide Area Air Medical');
    const response = await as<Registered>(ADMIN, REGISTER, { input: { ...input, serviceArea: { ...input.serviceArea, radiusKm: 500 } } });
    expect(response.errors).toBeUndefined();
  });

  it('refuses a name already registered, in any letter case and spacing, with CONFLICT and writes nothing', async () => {
    const first = await as<Registered>(ADMIN, REGISTER, { input: validInput('Harbor Ambulance') });
    expect(first.errors).toBeUndefined();
    for (const name of ['Harbor Ambulance', '  HARBOR ambulance ', network.agencies[0]!.name.toUpperCase()]) {
      const before = await writtenRows();
      const requestId = randomUUID();
      const response = await as(ADMIN, REGISTER, { input: validInput(name) }, requestId);
      expect(errorCodes(response), name).toEqual(['CONFLICT']);
      expect(await writtenRows(), name).toEqual(before);
      expect((await auditRowsOf(requestId)).map((row) => row.outcome), name).toEqual(['FAILED']);
    }
  });

  it('registers one agency when two administrators register the same name at once', async () => {
    const before = await writtenRows();
    const responses = await Promise.all(
      ['Twin Rivers EMS', 'TWIN RIVERS EMS', 'twin rivers ems', 'Twin Rivers Ems'].map((name) => as<Registered>(ADMIN, REGISTER, { input: validInput(name) })),
    );
    const succeeded = responses.filter((response) => !response.errors);
    expect(succeeded).toHaveLength(1);
    expect(responses.flatMap(errorCodes).sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT']);
    expect(await writtenRows()).toEqual({ registrations: before.registrations + 1, events: before.events + 1 });
    expect(await eventsFor(succeeded[0]!.data!.registerService.agency.id)).toHaveLength(1);
  });
});

describe('suspending and reactivating an agency', () => {
  const SET_STATUS = `mutation($id: ID!, $status: ServiceStatus!) { setServiceStatus(id: $id, status: $status) { id status } }`;
  const statusEvents = async (agencyId: string) =>
    (
      await center.database.db
        .selectFrom('outbox_events')
        .select(['payload'])
        .where('type', '=', 'ServiceStatusChanged')
        .where('aggregate_id', '=', agencyId)
        .orderBy('position')
        .execute()
    ).map((row) => row.payload as EventContracts['ServiceStatusChanged']);

  it('announces each change once, with the status before and after, and announces nothing when the status stays', async () => {
    const registered = await as<Registered>(ADMIN, REGISTER, { input: validInput('Status Change Ambulance') });
    const { id, agency } = registered.data!.registerService;
    expect((await as(ADMIN, SET_STATUS, { id, status: 'SUSPENDED' })).data).toEqual({ setServiceStatus: { id, status: 'SUSPENDED' } });
    expect((await as(ADMIN, SET_STATUS, { id, status: 'SUSPENDED' })).errors).toBeUndefined();
    expect((await as(ADMIN, SET_STATUS, { id, status: 'ACTIVE' })).data).toEqual({ setServiceStatus: { id, status: 'ACTIVE' } });
    const events = await statusEvents(agency.id);
    expect(events.map((event) => [event.previousStatus, event.status, event.registrationId, event.changedById])).toEqual([
      ['ACTIVE', 'SUSPENDED', id, ADMIN_ID],
      ['SUSPENDED', 'ACTIVE', id, ADMIN_ID],
    ]);
  });

  it('refuses PENDING, an unknown registration and anyone but a center administrator, announcing nothing', async () => {
    const registered = await as<Registered>(ADMIN, REGISTER, { input: validInput('Refused Status Ambulance') });
    const { id, agency } = registered.data!.registerService;
    expect(errorCodes(await as(ADMIN, SET_STATUS, { id, status: 'PENDING' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await as(ADMIN, SET_STATUS, { id: randomUUID(), status: 'SUSPENDED' }))).toEqual(['NOT_FOUND']);
    for (const email of ['analyst@center.demo', 'coordinator@hospital-1.demo', 'admin@agency-1.demo']) {
      expect(errorCodes(await as(email, SET_STATUS, { id, status: 'SUSPENDED' })), email).toEqual(['FORBIDDEN']);
    }
    expect(await statusEvents(agency.id)).toEqual([]);
  });
});
