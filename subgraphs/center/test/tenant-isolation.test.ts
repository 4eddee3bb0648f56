import { randomUUID } from 'node:crypto';
import type { AuditEntryRow } from '@medport/audit';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, type GraphQLResponse, type TestDatabase } from '@medport/testing';
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

/** Signs a demo account in (once per file) and returns its access token. */
async function tokenOf(email: string): Promise<string> {
  const known = tokens.get(email);
  if (known) return known;
  const response = await postGraphQL<{ login: { accessToken: string } }>(center.url, LOGIN, { email, password: demo.DEMO_PASSWORD });
  expect(response.errors, email).toBeUndefined();
  tokens.set(email, response.data!.login.accessToken);
  return response.data!.login.accessToken;
}

/** Sends an operation as a demo account, with a request id of its own so its audit rows can be found. */
async function as<Data = Record<string, any>>(email: string, query: string, variables: Record<string, unknown> = {}, requestId = randomUUID()) {
  return postGraphQL<Data>(center.url, query, variables, { ...bearer(await tokenOf(email)), 'x-request-id': requestId });
}

const auditRowsOf = (requestId: string): Promise<AuditEntryRow[]> =>
  center.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('occurred_at').execute();

const userId = (email: string) => stableId(`user/${email}`);
const HOSPITAL_1 = stableId('hospital-1');
const HOSPITAL_2 = stableId('hospital-2');
const AGENCY_1 = stableId('agency-1');
const AGENCY_2 = stableId('agency-2');

const CREATE_USER = `mutation OpenAccount($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const NEW_ACCOUNT = {
  email: 'New.Person@Hospital-1.demo',
  name: 'New Person',
  role: 'HOSPITAL_ADMIN',
  hospitalId: HOSPITAL_1,
  password: 'a long enough passphrase',
};

/** The demo accounts of one tenant, in the order the API lists them (by email). */
const emailsWhere = (belongs: (user: (typeof network.users)[number]) => boolean) =>
  network.users
    .filter(belongs)
    .map((user) => user.email)
    .sort();

const USERS = `query($filter: UserFilter, $first: Int, $after: String) {
  users(first: $first, after: $after, filter: $filter) { nodes { id email } pageInfo { hasNextPage endCursor } }
}`;
type UsersPage = { users: { nodes: { id: string; email: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

/** Every account an account can list, page by page, so a scope applied after paging would show as short pages. */
async function listAllUsers(email: string, pageSize: number, filter: Record<string, unknown> = {}): Promise<{ emails: string[]; pages: number }> {
  const emails: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const response: GraphQLResponse<UsersPage> = await as<UsersPage>(email, USERS, { first: pageSize, after, filter: { includeInactive: true, ...filter } });
    expect(response.errors).toBeUndefined();
    pages += 1;
    const { nodes, pageInfo } = response.data!.users;
    if (pageInfo.hasNextPage) expect(nodes).toHaveLength(pageSize);
    emails.push(...nodes.map((node) => node.email));
    after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
  } while (after);
  return { emails, pages };
}

const USER_BY_ID = `query($id: ID!) { user(id: $id) { id email } }`;
const USER_ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email } } }`;
const userReferences = (...emails: string[]) => emails.map((email) => ({ __typename: 'User', id: userId(email) }));

async function expectUserNotFound(asEmail: string, id: string) {
  const response = await as(asEmail, USER_BY_ID, { id });
  expect(errorCodes(response), id).toEqual(['NOT_FOUND']);
  expect(response.data?.user ?? null).toBeNull();
  return response.errors![0]!;
}

describe('accounts seen by a hospital', () => {
  const coordinator = 'coordinator@hospital-1.demo';

  it('lists to coordinator@hospital-1.demo the accounts of hospital-1 only, paging over them alone', async () => {
    const expected = emailsWhere((user) => user.hospitalId === HOSPITAL_1);
    expect(expected).toHaveLength(2);
    expect(await listAllUsers(coordinator, 1)).toEqual({ emails: expected, pages: expected.length });
    expect((await listAllUsers(coordinator, 200)).emails).toEqual(expected);
  });

  it('gives coordinator@hospital-1.demo an empty list when it filters for another tenant, aliases and fragments included', async () => {
    const response = await as<Record<string, { nodes: { id: string }[] }>>(
      coordinator,
      `query Sneaky($h2: ID!, $a1: ID!) {
        mine: users { nodes { id } }
        ...Others
      }
      fragment Others on Query {
        hospital2: users(filter: { hospitalId: $h2, includeInactive: true }) { nodes { id } }
        agency1: users(filter: { agencyId: $a1 }) { nodes { id } }
        ... on Query { centerStaff: users(filter: { role: [CENTER_ADMIN, CENTER_STAFF] }) { nodes { id } } }
      }`,
      { h2: HOSPITAL_2, a1: AGENCY_1 },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.mine!.nodes.map((node) => node.id).sort()).toEqual(
      network.users.filter((user) => user.hospitalId === HOSPITAL_1).map((user) => user.id).sort(),
    );
    expect(response.data!.hospital2!.nodes).toEqual([]);
    expect(response.data!.agency1!.nodes).toEqual([]);
    expect(response.data!.centerStaff!.nodes).toEqual([]);
  });

  it('answers coordinator@hospital-1.demo NOT_FOUND for a hospital-2 account, exactly as for an id that does not exist', async () => {
    const other = userId('coordinator@hospital-2.demo');
    const unknown = stableId('user/nobody@hospital-2.demo');
    const hidden = await expectUserNotFound(coordinator, other);
    const missing = await expectUserNotFound(coordinator, unknown);
    expect(hidden.message.replace(other, '<id>')).toBe(missing.message.replace(unknown, '<id>'));
    expect(Object.keys(hidden.extensions!).sort()).toEqual(Object.keys(missing.extensions!).sort());
    await expectUserNotFound(coordinator, userId('admin@center.demo'));
    await expectUserNotFound(coordinator, userId('dispatcher@agency-1.demo'));
    const own = await as<{ user: { email: string } }>(coordinator, USER_BY_ID, { id: userId('admin@hospital-1.demo') });
    expect(own.data!.user.email).toBe('admin@hospital-1.demo');
  });

  it('hides a hospital-2 account from coordinator@hospital-1.demo behind aliases and fragments too', async () => {
    const response = await as<{ own: { email: string } | null; other: { email: string } | null }>(
      coordinator,
      `query($own: ID!, $other: ID!) { own: user(id: $own) { ...Account } other: user(id: $other) { ...Account } }
       fragment Account on User { id email role }`,
      { own: userId('admin@hospital-1.demo'), other: userId('admin@hospital-2.demo') },
    );
    expect(response.data!.own!.email).toBe('admin@hospital-1.demo');
    expect(response.data!.other).toBeNull();
    expect(response.errors!.map((error) => [error.path, error.extensions!.code])).toEqual([[['other'], 'NOT_FOUND']]);
  });

  it('resolves User references outside hospital-1 to null for coordinator@hospital-1.demo', async () => {
    const response = await as<{ _entities: ({ id: string; email: string } | null)[] }>(coordinator, USER_ENTITIES, {
      representations: userReferences('admin@hospital-1.demo', 'coordinator@hospital-2.demo', 'dispatcher@agency-1.demo', 'admin@center.demo'),
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([{ id: userId('admin@hospital-1.demo'), email: 'admin@hospital-1.demo' }, null, null, null]);

    const viaFragment = await as<{ first: unknown[]; second: unknown[] }>(
      coordinator,
      `query($r: [_Any!]!) { first: _entities(representations: $r) { ...Found } second: _entities(representations: $r) { ... on User { email } } }
       fragment Found on _Entity { ... on User { id } }`,
      { r: userReferences('coordinator@hospital-2.demo') },
    );
    expect(viaFragment.errors).toBeUndefined();
    expect(viaFragment.data).toEqual({ first: [null], second: [null] });
  });
});

describe('accounts seen by an agency', () => {
  const dispatcher = 'dispatcher@agency-1.demo';

  it('lists to dispatcher@agency-1.demo the accounts of agency-1 only, paging over them alone', async () => {
    const expected = emailsWhere((user) => user.agencyId === AGENCY_1);
    expect(expected).toHaveLength(3);
    expect(await listAllUsers(dispatcher, 2)).toEqual({ emails: expected, pages: 2 });
    expect((await listAllUsers(dispatcher, 200, { agencyId: AGENCY_2 })).emails).toEqual([]);
  });

  it('answers dispatcher@agency-1.demo NOT_FOUND for accounts of agency-2 and of a hospital, and null for their references', async () => {
    await expectUserNotFound(dispatcher, userId('dispatcher@agency-2.demo'));
    await expectUserNotFound(dispatcher, userId('coordinator@hospital-1.demo'));
    const response = await as<{ _entities: ({ id: string } | null)[] }>(dispatcher, USER_ENTITIES, {
      representations: userReferences('crew@agency-1.demo', 'dispatcher@agency-2.demo', 'coordinator@hospital-1.demo'),
    });
    expect(response.data!._entities.map((entity) => entity?.id ?? null)).toEqual([userId('crew@agency-1.demo'), null, null]);
  });
});

describe('accounts seen by the center', () => {
  it('lists every account to analyst@center.demo but refuses it createUser with FORBIDDEN, adding no account', async () => {
    const analyst = 'analyst@center.demo';
    expect((await listAllUsers(analyst, 200)).emails).toEqual(emailsWhere(() => true));
    const other = await as<{ user: { email: string } }>(analyst, USER_BY_ID, { id: userId('dispatcher@agency-2.demo') });
    expect(other.data!.user.email).toBe('dispatcher@agency-2.demo');

    const before = await center.database.db.selectFrom('users').select('id').execute();
    const response = await as(analyst, CREATE_USER, { input: NEW_ACCOUNT });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(response.data ?? null).toBeNull();
    expect(await center.database.db.selectFrom('users').select('id').execute()).toHaveLength(before.length);
  });
});

describe('center-only configuration', () => {
  const CENTER_ONLY = {
    serviceRegistrations: '{ serviceRegistrations { nodes { id } } }',
    systemConfiguration: '{ systemConfiguration { key } }',
    featureToggles: '{ featureToggles { name } }',
    notificationTemplates: '{ notificationTemplates { name } }',
    networkSummary: '{ networkSummary { tripCount } }',
  };

  it('refuses serviceRegistrations, systemConfiguration, featureToggles, notificationTemplates and networkSummary to coordinators and dispatchers with FORBIDDEN', async () => {
    for (const email of ['coordinator@hospital-1.demo', 'admin@hospital-2.demo', 'dispatcher@agency-1.demo', 'crew@agency-1.demo']) {
      for (const [field, query] of Object.entries(CENTER_ONLY)) {
        const response = await as(email, query);
        expect(errorCodes(response), `${field} as ${email}`).toEqual(['FORBIDDEN']);
        expect(response.data ?? null, `${field} as ${email}`).toBeNull();
      }
    }
  });

  it('serves them to analyst@center.demo', async () => {
    for (const [field, query] of Object.entries(CENTER_ONLY)) {
      const response = await as('analyst@center.demo', query);
      expect(response.errors, field).toBeUndefined();
    }
  });

  it('resolves a ServiceRegistration reference to null for anyone but center staff', async () => {
    const representations = [{ __typename: 'ServiceRegistration', id: stableId('registration/agency-1') }];
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ServiceRegistration { id serviceName } } }`;
    for (const email of ['dispatcher@agency-1.demo', 'coordinator@hospital-1.demo']) {
      const response = await as<{ _entities: unknown[] }>(email, query, { r: representations });
      expect(response.errors, email).toBeUndefined();
      expect(response.data!._entities, email).toEqual([null]);
    }
    const staff = await as<{ _entities: ({ id: string } | null)[] }>('analyst@center.demo', query, { r: representations });
    expect(staff.data!._entities[0]?.id).toBe(stableId('registration/agency-1'));
  });

  it('lets every role read the hospital registry, and only a center administrator change it', async () => {
    const hospitalId = HOSPITAL_2;
    for (const email of ['coordinator@hospital-1.demo', 'dispatcher@agency-1.demo', 'crew@agency-1.demo', 'analyst@center.demo']) {
      const list = await as<{ hospitals: { nodes: unknown[] }; hospital: { id: string } }>(email, `query($id: ID!) { hospitals { nodes { id } } hospital(id: $id) { id } }`, {
        id: hospitalId,
      });
      expect(list.errors, email).toBeUndefined();
      expect(list.data!.hospitals.nodes, email).toHaveLength(network.hospitals.length);
      expect(list.data!.hospital.id, email).toBe(hospitalId);

      const created = await as(email, `mutation($input: CreateHospitalInput!) { createHospital(input: $input) { id } }`, {
        input: { name: 'Not Allowed General', address: { line: '1 Side St', city: 'Erie', state: 'PA', postalCode: '16501' } },
      });
      expect(errorCodes(created), email).toEqual(['FORBIDDEN']);
      const updated = await as(email, `mutation($id: ID!) { updateHospital(id: $id, input: { status: SUSPENDED }) { id } }`, { id: hospitalId });
      expect(errorCodes(updated), email).toEqual(['FORBIDDEN']);
      const deactivated = await as(email, `mutation($id: ID!) { setUserActive(id: $id, isActive: false) { id } }`, { id: userId(email) });
      expect(errorCodes(deactivated), email).toEqual(['FORBIDDEN']);
    }
    const hospital = await center.database.db.selectFrom('hospitals').select('status').where('id', '=', hospitalId).executeTakeFirstOrThrow();
    expect(hospital.status).toBe('ACTIVE');
    expect(await center.database.db.selectFrom('hospitals').select('id').where('name', '=', 'Not Allowed General').execute()).toEqual([]);
  });
});

describe('audit trail', () => {
  it('leaves one LOGIN row for a failed and one for a successful sign-in, the failed one without the email anywhere in it', async () => {
    const email = 'Coordinator@Hospital-2.demo';
    const wrongPassword = 'not-the-password-1234';
    const failedRequest = randomUUID();
    const failed = await postGraphQL(center.url, LOGIN, { email, password: wrongPassword }, { 'x-request-id': failedRequest });
    expect(errorCodes(failed)).toEqual(['UNAUTHENTICATED']);
    const [denied, ...moreDenied] = await auditRowsOf(failedRequest);
    expect(moreDenied).toEqual([]);
    expect(denied).toMatchObject({
      action: 'LOGIN',
      outcome: 'DENIED',
      actor_id: null,
      actor_role: null,
      tenant_id: null,
      entity_type: 'User',
      entity_id: userId('coordinator@hospital-2.demo'),
      operation_name: 'SignIn',
    });
    const written = JSON.stringify(denied).toLowerCase();
    expect(written).not.toContain(email.toLowerCase());
    expect(written).not.toContain('hospital-2.demo');
    expect(written).not.toContain(wrongPassword);

    // An unknown email may be a password typed in the wrong box: it must not reach the trail either.
    const strayRequest = randomUUID();
    await postGraphQL(center.url, LOGIN, { email: 'my-secret-passphrase@nowhere.demo', password: 'x' }, { 'x-request-id': strayRequest });
    const stray = await auditRowsOf(strayRequest);
    expect(stray).toHaveLength(1);
    expect(stray[0]).toMatchObject({ action: 'LOGIN', outcome: 'DENIED', entity_id: null, actor_id: null });
    expect(JSON.stringify(stray[0])).not.toContain('my-secret-passphrase');

    const allowedRequest = randomUUID();
    const signedIn = await postGraphQL(center.url, LOGIN, { email, password: demo.DEMO_PASSWORD }, { 'x-request-id': allowedRequest });
    expect(signedIn.errors).toBeUndefined();
    const allowed = await auditRowsOf(allowedRequest);
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).toMatchObject({
      action: 'LOGIN',
      outcome: 'ALLOWED',
      actor_id: userId('coordinator@hospital-2.demo'),
      actor_role: 'HOSPITAL_STAFF',
      tenant_id: HOSPITAL_2,
      entity_type: 'User',
      entity_id: userId('coordinator@hospital-2.demo'),
      operation_name: 'SignIn',
    });
  });

  it('leaves a DENIED row with actor, role, tenant, operation name and request id when createUser is refused', async () => {
    const requestId = randomUUID();
    const response = await as('coordinator@hospital-1.demo', CREATE_USER, { input: NEW_ACCOUNT }, requestId);
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    const rows = await auditRowsOf(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'CREATE_USER',
      outcome: 'DENIED',
      actor_id: userId('coordinator@hospital-1.demo'),
      actor_role: 'HOSPITAL_STAFF',
      tenant_id: HOSPITAL_1,
      entity_type: 'User',
      entity_id: null,
      operation_name: 'OpenAccount',
      request_id: requestId,
      details: { code: 'FORBIDDEN', role: 'HOSPITAL_ADMIN', hospitalId: HOSPITAL_1, agencyId: null },
    });
    expect(JSON.stringify(rows[0]).toLowerCase()).not.toContain('new.person');
    expect(JSON.stringify(rows[0])).not.toContain(NEW_ACCOUNT.password);
  });

  it('refuses to update, delete or truncate audit rows in the database itself', async () => {
    const db = center.database.db;
    const before = await db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(before.length).toBeGreaterThan(0);
    const id = before[0]!.id;
    await expect(db.updateTable('audit_log').set({ outcome: 'ALLOWED', actor_id: null }).where('id', '=', id).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').where('id', '=', id).execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    expect(await db.selectFrom('audit_log').selectAll().orderBy('id').where('id', 'in', before.map((row) => row.id)).execute()).toEqual(before);
  });

  it('serves centerAuditTrail to admin@center.demo and refuses it to analyst@center.demo with FORBIDDEN', async () => {
    const query = `query($filter: AuditTrailFilter) {
      centerAuditTrail(filter: $filter, first: 5) { nodes { action outcome actorId actorRole tenantId entityType entityId operationName details } }
    }`;
    const filter = { action: 'CREATE_USER', outcome: 'DENIED', actorId: userId('coordinator@hospital-1.demo') };
    const trail = await as<{ centerAuditTrail: { nodes: Record<string, unknown>[] } }>('admin@center.demo', query, { filter });
    expect(trail.errors).toBeUndefined();
    expect(trail.data!.centerAuditTrail.nodes.length).toBeGreaterThan(0);
    for (const node of trail.data!.centerAuditTrail.nodes) {
      expect(node).toMatchObject({ action: 'CREATE_USER', outcome: 'DENIED', actorRole: 'HOSPITAL_STAFF', tenantId: HOSPITAL_1, operationName: 'OpenAccount' });
      expect(JSON.parse(node.details as string)).toMatchObject({ code: 'FORBIDDEN' });
    }
    const logins = await as<{ centerAuditTrail: { nodes: { action: string }[] } }>('admin@center.demo', query, { filter: { action: 'LOGIN' } });
    expect(logins.data!.centerAuditTrail.nodes).toHaveLength(5);

    for (const email of ['analyst@center.demo', 'coordinator@hospital-1.demo', 'dispatcher@agency-1.demo']) {
      const refused = await as(email, query, {});
      expect(errorCodes(refused), email).toEqual(['FORBIDDEN']);
      expect(refused.data ?? null, email).toBeNull();
    }
  });
});
