import { randomUUID } from 'node:crypto';
import type { AuditEntryRow } from '@medport/audit';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, type TestDatabase } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';
import { currentScryptParameters, verifyPassword } from '../src/modules/users/passwords.js';

let database: TestDatabase;
let center: RunningSubgraph<CenterDatabase>;
/** The center admin's access token: every operation below is made as that account. */
let adminToken: string;
/** Every SQL statement the subgraph sent, in order; tests that count statements clear it first. */
const statements: string[] = [];
/**
 * The statements that served the operation itself: verifying the caller's token may look its key up (once a
 * minute per key), which is the cost of authentication, not of the operation.
 */
const operationStatements = () => statements.filter((statement) => !statement.includes('/* findPublishedSigningKey */'));
const network = demo.buildDemoNetwork();

beforeAll(async () => {
  database = await createTestDatabase('center');
  const config = loadSubgraphConfig('center', 0, { ...database.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  center = await startSubgraph(centerSubgraph, config, { onQuery: (event) => statements.push(event.query.sql) });
  const signedIn = await postGraphQL<{ login: { accessToken: string } }>(
    center.url,
    `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
    { email: 'admin@center.demo', password: demo.DEMO_PASSWORD },
  );
  expect(signedIn.errors).toBeUndefined();
  adminToken = signedIn.data!.login.accessToken;
});

afterAll(async () => {
  await center?.stop();
  await database?.drop();
});

/** Sends an operation as the center admin, over real HTTP; `requestId` lets a test find its audit rows. */
const asAdmin = <Data = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, requestId = randomUUID()) =>
  postGraphQL<Data>(center.url, query, variables, { ...bearer(adminToken), 'x-request-id': requestId });

const ADMIN_ID = stableId('user/admin@center.demo');

/** The audit rows one request left, oldest first. */
const auditRowsOf = (requestId: string): Promise<AuditEntryRow[]> =>
  center.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('occurred_at').orderBy('id').execute();

/** The audit row of a request that must have left exactly one. */
async function onlyAuditRowOf(requestId: string) {
  const rows = await auditRowsOf(requestId);
  expect(rows, requestId).toHaveLength(1);
  return rows[0]!;
}

const countUsers = async () =>
  Number((await center.database.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email role hospital { id } agency { id } } }`;

const DEMO_ACCOUNTS = [
  { email: 'admin@center.demo', role: 'CENTER_ADMIN', hospital: null, agency: null },
  { email: 'analyst@center.demo', role: 'CENTER_STAFF', hospital: null, agency: null },
  { email: 'coordinator@hospital-1.demo', role: 'HOSPITAL_STAFF', hospital: { id: stableId('hospital-1') }, agency: null },
  { email: 'coordinator@hospital-2.demo', role: 'HOSPITAL_STAFF', hospital: { id: stableId('hospital-2') }, agency: null },
  { email: 'dispatcher@agency-1.demo', role: 'EMS_DISPATCHER', hospital: null, agency: { id: stableId('agency-1') } },
  { email: 'dispatcher@agency-2.demo', role: 'EMS_DISPATCHER', hospital: null, agency: { id: stableId('agency-2') } },
  { email: 'crew@agency-1.demo', role: 'EMS_CREW', hospital: null, agency: { id: stableId('agency-1') } },
];

interface UserNode {
  id: string;
  email: string;
  role: string;
  hospital: { id: string } | null;
  agency: { id: string } | null;
}

describe('center subgraph', () => {
  it('seeds the demo network into an empty database once', async () => {
    expect(await countUsers()).toBe(network.users.length);
    expect(await centerSubgraph.seedDemoData(center.database.db)).toBe(false);
    expect(await countUsers()).toBe(network.users.length);
  });

  it('has the demo accounts with their roles and tenants', async () => {
    const response = await asAdmin<{ users: { nodes: UserNode[] } }>(
      `{ users(first: 200) { nodes { id email role hospital { id } agency { id } } } }`,
    );
    expect(response.errors).toBeUndefined();
    const byEmail = new Map(response.data!.users.nodes.map(({ id: _, ...user }) => [user.email, user]));
    for (const account of DEMO_ACCOUNTS) expect(byEmail.get(account.email), account.email).toEqual(account);
  });

  it('stores for every demo account a hash that verifies the demo password and nothing else', async () => {
    const emails = DEMO_ACCOUNTS.map((account) => account.email);
    const rows = await center.database.db.selectFrom('users').select(['email', 'password_hash']).where('email', 'in', emails).execute();
    expect(rows.map((row) => row.email).sort()).toEqual([...emails].sort());
    for (const row of rows) {
      // With the current parameters (OWASP's, unless the test suite's PASSWORD_HASH_COST lowers N).
      const { N, r, p } = currentScryptParameters();
      expect(row.password_hash.startsWith(`scrypt$${N}$${r}$${p}$`), row.password_hash).toBe(true);
      expect(await verifyPassword(demo.DEMO_PASSWORD, row.password_hash), row.email).toBe(true);
    }
    expect(await verifyPassword('medport-demo!', rows[0]!.password_hash)).toBe(false);
  });

  it('never offers the password hash in the schema', async () => {
    const response = await asAdmin<{ __type: { fields: { name: string }[] } }>(`{ __type(name: "User") { fields { name } } }`);
    expect(response.data!.__type.fields.map((field) => field.name.toLowerCase()).filter((name) => name.includes('password'))).toEqual([]);
  });

  it('refuses an account whose email is taken in another letter case, adds no account and records the attempt as FAILED', async () => {
    const before = await countUsers();
    const requestId = randomUUID();
    const response = await asAdmin(
      CREATE_USER,
      { input: { email: 'Coordinator@HOSPITAL-1.demo', name: 'Second Coordinator', role: 'CENTER_STAFF', password: 'a long enough passphrase' } },
      requestId,
    );
    expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(await countUsers()).toBe(before);
    const row = await onlyAuditRowOf(requestId);
    expect(row).toMatchObject({ action: 'CREATE_USER', outcome: 'FAILED', actor_id: ADMIN_ID, actor_role: 'CENTER_ADMIN', tenant_id: null, entity_id: null });
    expect(row.details).toEqual({ code: 'CONFLICT', role: 'CENTER_STAFF', hospitalId: null, agencyId: null });
    expect(JSON.stringify(row).toLowerCase()).not.toContain('coordinator@hospital-1.demo');
  });

  it('rejects bad account input with a code naming the field, and writes nothing', async () => {
    const before = await countUsers();
    const valid = { email: 'new-crew@agency-1.demo', name: 'New Crew', role: 'EMS_CREW', agencyId: stableId('agency-1'), password: 'a long enough passphrase' };
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ ...valid, hospitalId: stableId('hospital-1') }, 'BAD_USER_INPUT', 'hospitalId'],
      [{ ...valid, agencyId: null }, 'BAD_USER_INPUT', 'agencyId'],
      [{ ...valid, role: 'HOSPITAL_STAFF' }, 'BAD_USER_INPUT', 'agencyId'],
      [{ ...valid, role: 'CENTER_STAFF', agencyId: null, hospitalId: stableId('hospital-1') }, 'BAD_USER_INPUT', 'hospitalId'],
      [{ ...valid, email: 'not an email' }, 'BAD_USER_INPUT', 'email'],
      [{ ...valid, password: 'elevenchars' }, 'BAD_USER_INPUT', 'password'],
      [{ ...valid, name: '   ' }, 'BAD_USER_INPUT', 'name'],
      [{ ...valid, agencyId: stableId('no-such-agency') }, 'NOT_FOUND', undefined],
      [{ ...valid, agencyId: 'not-an-id' }, 'NOT_FOUND', undefined],
      [{ ...valid, role: 'HOSPITAL_ADMIN', agencyId: null, hospitalId: stableId('no-such-hospital') }, 'NOT_FOUND', undefined],
    ];
    for (const [input, code, field] of cases) {
      const requestId = randomUUID();
      const response = await asAdmin(CREATE_USER, { input }, requestId);
      expect(errorCodes(response), JSON.stringify(input)).toEqual([code]);
      expect(response.errors![0]!.extensions!.field, JSON.stringify(input)).toBe(field);
      const row = await onlyAuditRowOf(requestId);
      expect(row, JSON.stringify(input)).toMatchObject({ action: 'CREATE_USER', outcome: 'FAILED', entity_id: null });
      expect(row.details, JSON.stringify(input)).toMatchObject(field ? { code, field } : { code });
    }
    expect(await countUsers()).toBe(before);
  });

  it('creates an account with a lower-cased email whose stored hash verifies its password, and records it as ALLOWED', async () => {
    const requestId = randomUUID();
    const response = await asAdmin<{ createUser: UserNode }>(
      `mutation OpenAccount($input: CreateUserInput!) { createUser(input: $input) { id email role hospital { id } agency { id } } }`,
      {
        input: {
          email: 'Dispatcher.Two@Agency-2.demo',
          name: 'Second Dispatcher',
          role: 'EMS_DISPATCHER',
          agencyId: stableId('agency-2'),
          password: 'correct horse battery staple',
        },
      },
      requestId,
    );
    expect(response.errors).toBeUndefined();
    const audited = await onlyAuditRowOf(requestId);
    expect(audited).toMatchObject({
      action: 'CREATE_USER',
      outcome: 'ALLOWED',
      actor_id: ADMIN_ID,
      entity_type: 'User',
      entity_id: response.data!.createUser.id,
      operation_name: 'OpenAccount',
      details: { role: 'EMS_DISPATCHER', agencyId: stableId('agency-2'), hospitalId: null },
    });
    expect(JSON.stringify(audited)).not.toContain('correct horse');
    expect(JSON.stringify(audited).toLowerCase()).not.toContain('dispatcher.two');
    expect(response.data!.createUser).toMatchObject({ email: 'dispatcher.two@agency-2.demo', hospital: null, agency: { id: stableId('agency-2') } });
    const row = await center.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', response.data!.createUser.id)
      .executeTakeFirstOrThrow();
    expect(await verifyPassword('correct horse battery staple', row.password_hash)).toBe(true);
  });

  it('deactivates an account, which then leaves the default account list', async () => {
    const analyst = stableId('user/analyst@center.demo');
    const requestId = randomUUID();
    const changed = await asAdmin<{ setUserActive: { isActive: boolean } }>(
      `mutation($id: ID!) { setUserActive(id: $id, isActive: false) { isActive } }`,
      { id: analyst },
      requestId,
    );
    expect(changed.data!.setUserActive.isActive).toBe(false);
    expect(await onlyAuditRowOf(requestId)).toMatchObject({
      action: 'SET_USER_ACTIVE',
      outcome: 'ALLOWED',
      entity_id: analyst,
      details: { isActive: false },
    });
    const list = `query($filter: UserFilter) { users(first: 200, filter: $filter) { nodes { id } } }`;
    const active = await asAdmin<{ users: { nodes: { id: string }[] } }>(list, {});
    expect(active.data!.users.nodes.map((user) => user.id)).not.toContain(analyst);
    const all = await asAdmin<{ users: { nodes: { id: string }[] } }>(list, { filter: { includeInactive: true } });
    expect(all.data!.users.nodes.map((user) => user.id)).toContain(analyst);
    const missingRequest = randomUUID();
    const missing = await asAdmin(`mutation { setUserActive(id: "not-an-id", isActive: true) { id } }`, {}, missingRequest);
    expect(errorCodes(missing)).toEqual(['NOT_FOUND']);
    expect(await onlyAuditRowOf(missingRequest)).toMatchObject({ action: 'SET_USER_ACTIVE', outcome: 'FAILED', entity_id: null, details: { code: 'NOT_FOUND' } });
  });

  it('records each of two changes to one account made in one request', async () => {
    const crew = stableId('user/crew@agency-1.demo');
    const requestId = randomUUID();
    const response = await asAdmin(
      `mutation Flip($id: ID!) { off: setUserActive(id: $id, isActive: false) { isActive } on: setUserActive(id: $id, isActive: true) { isActive } }`,
      { id: crew },
      requestId,
    );
    expect(response.data).toEqual({ off: { isActive: false }, on: { isActive: true } });
    const rows = await auditRowsOf(requestId);
    expect(rows.map((row) => [row.action, row.outcome, row.entity_id, row.details])).toEqual([
      ['SET_USER_ACTIVE', 'ALLOWED', crew, { isActive: false }],
      ['SET_USER_ACTIVE', 'ALLOWED', crew, { isActive: true }],
    ]);
  });

  it('refuses account and registry changes to center staff with FORBIDDEN, leaving a DENIED row for each', async () => {
    // The analyst may have been deactivated by an earlier test; staff it is, active or not, until it signs in.
    await asAdmin(`mutation($id: ID!) { setUserActive(id: $id, isActive: true) { id } }`, { id: stableId('user/analyst@center.demo') });
    const signedIn = await postGraphQL<{ login: { accessToken: string } }>(
      center.url,
      `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`,
      { email: 'analyst@center.demo', password: demo.DEMO_PASSWORD },
    );
    const token = signedIn.data!.login.accessToken;
    const hospital = stableId('hospital-1');
    const attempts: [string, string, Record<string, unknown>, string | null][] = [
      ['CREATE_HOSPITAL', `mutation($input: CreateHospitalInput!) { createHospital(input: $input) { id } }`, { input: { name: 'X', address: { line: '1 A St', city: 'Erie', state: 'PA', postalCode: '16501' } } }, null],
      ['UPDATE_HOSPITAL', `mutation($id: ID!) { updateHospital(id: $id, input: { status: SUSPENDED }) { id } }`, { id: hospital }, hospital],
      ['SET_USER_ACTIVE', `mutation($id: ID!) { setUserActive(id: $id, isActive: false) { id } }`, { id: ADMIN_ID }, ADMIN_ID],
      ['ROTATE_SIGNING_KEY', `mutation { rotateSigningKey { kid } }`, {}, null],
    ];
    for (const [action, query, variables, entityId] of attempts) {
      const requestId = randomUUID();
      const response = await postGraphQL(center.url, query, variables, { ...bearer(token), 'x-request-id': requestId });
      expect(errorCodes(response), action).toEqual(['FORBIDDEN']);
      expect(await onlyAuditRowOf(requestId), action).toMatchObject({
        action,
        outcome: 'DENIED',
        actor_id: stableId('user/analyst@center.demo'),
        actor_role: 'CENTER_STAFF',
        tenant_id: null,
        entity_id: entityId,
        details: { code: 'FORBIDDEN' },
      });
    }
  });

  it('pages through accounts by email without gaps or repeats', async () => {
    const query = `query($after: String) { users(first: 7, after: $after, filter: { includeInactive: true }) { nodes { id email } pageInfo { hasNextPage endCursor } } }`;
    type Page = { users: { nodes: { id: string; email: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const seen: { id: string; email: string }[] = [];
    let after: string | null = null;
    do {
      const response: Awaited<ReturnType<typeof asAdmin<Page>>> = await asAdmin<Page>(query, { after });
      seen.push(...response.data!.users.nodes);
      after = response.data!.users.pageInfo.hasNextPage ? response.data!.users.pageInfo.endCursor : null;
    } while (after);
    expect(seen.length).toBe(await countUsers());
    expect(new Set(seen.map((user) => user.id)).size).toBe(seen.length);
    expect(seen.map((user) => user.email)).toEqual(seen.map((user) => user.email).sort());
  });

  it('creates a hospital and changes its status, recording each outcome', async () => {
    const createRequest = randomUUID();
    const created = await asAdmin<{ createHospital: { id: string; status: string; email: string } }>(
      `mutation($input: CreateHospitalInput!) { createHospital(input: $input) { id status email } }`,
      { input: { name: 'Mercy Valley Hospital', address: { line: '1 Main St', city: 'Erie', state: 'PA', postalCode: '16501' }, email: 'Transfers@Mercy.example' } },
      createRequest,
    );
    expect(created.data!.createHospital).toMatchObject({ status: 'ACTIVE', email: 'transfers@mercy.example' });
    const id = created.data!.createHospital.id;
    expect(await onlyAuditRowOf(createRequest)).toMatchObject({ action: 'CREATE_HOSPITAL', outcome: 'ALLOWED', actor_id: ADMIN_ID, entity_type: 'Hospital', entity_id: id });

    const update = `mutation($id: ID!, $input: UpdateHospitalInput!) { updateHospital(id: $id, input: $input) { status } }`;
    const updateRequest = randomUUID();
    const suspended = await asAdmin<{ updateHospital: { status: string } }>(update, { id, input: { status: 'SUSPENDED', phone: null } }, updateRequest);
    expect(suspended.data!.updateHospital.status).toBe('SUSPENDED');
    expect(await onlyAuditRowOf(updateRequest)).toMatchObject({
      action: 'UPDATE_HOSPITAL',
      outcome: 'ALLOWED',
      entity_id: id,
      details: { fields: 'phone,status' },
    });

    const missingRequest = randomUUID();
    const missing = stableId('no-such-hospital');
    expect(errorCodes(await asAdmin(update, { id: missing, input: { status: 'ACTIVE' } }, missingRequest))).toEqual(['NOT_FOUND']);
    expect(await onlyAuditRowOf(missingRequest)).toMatchObject({ action: 'UPDATE_HOSPITAL', outcome: 'FAILED', entity_id: missing, details: { code: 'NOT_FOUND' } });

    const badRequest = randomUUID();
    expect(errorCodes(await asAdmin(update, { id, input: { name: '  ' } }, badRequest))).toEqual(['BAD_USER_INPUT']);
    expect(await onlyAuditRowOf(badRequest)).toMatchObject({ action: 'UPDATE_HOSPITAL', outcome: 'FAILED', entity_id: id, details: { code: 'BAD_USER_INPUT', field: 'name' } });
  });

  it('refuses a network summary whose range starts after it ends', async () => {
    const response = await asAdmin(`query($requested: TimeRangeInput) { networkSummary(requested: $requested) { tripCount } }`, {
      requested: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('resolves 20 hospital references with one SQL statement', async () => {
    const known = network.hospitals.map((hospital) => hospital.id);
    const unknown = Array.from({ length: 20 - known.length }, (_, index) => stableId(`no-such-hospital-${index}`));
    const representations = [...known, ...unknown].map((id) => ({ __typename: 'Hospital', id }));
    statements.length = 0;
    const response = await asAdmin<{ _entities: ({ id: string; name: string } | null)[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Hospital { id name } } }`,
      { representations },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities.map((hospital) => hospital?.id ?? null)).toEqual([...known, ...unknown.map(() => null)]);
    expect(operationStatements()).toHaveLength(1);
    expect(operationStatements()[0]).toContain('/* findHospitalsByIds */');
  });

  it('resolves a reference with a malformed id to null without sending SQL', async () => {
    statements.length = 0;
    const response = await asAdmin<{ _entities: unknown[] }>(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id } } }`,
      { representations: [{ __typename: 'User', id: 'not-a-uuid' }] },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([null]);
    expect(operationStatements()).toHaveLength(0);
  });

  it('answers /health and /ready', async () => {
    const base = center.url.replace('/graphql', '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});
