import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, generateSigningKey, signAccessToken, type SigningKey, type Viewer } from '@medport/auth';
import { loadSubgraphConfig } from '@medport/config';
import { jsonText, type JsonValue } from '@medport/database';
import { demo, stableId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { bearer, createTestDatabase, errorCodes, postGraphQL, type GraphQLResponse, type TestDatabase } from '@medport/testing';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';

let database: TestDatabase;
let center: RunningSubgraph<CenterDatabase>;
let jwksUrl: string;

beforeAll(async () => {
  database = await createTestDatabase('center');
  const config = loadSubgraphConfig('center', 0, { ...database.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  center = await startSubgraph(centerSubgraph, config);
  jwksUrl = center.url.replace('/graphql', '/.well-known/jwks.json');
});

afterAll(async () => {
  await center?.stop();
  await database?.drop();
});

interface Session {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  user: { id: string; role: string; lastLoginAt: string | null };
}

const SESSION_FIELDS = 'accessToken refreshToken accessTokenExpiresAt user { id role lastLoginAt }';
const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { ${SESSION_FIELDS} } }`;
const REFRESH = `mutation($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ${SESSION_FIELDS} } }`;
const LOGOUT = `mutation($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;
const ROTATE = `mutation { rotateSigningKey { kid createdAt } }`;
const HOSPITALS = `{ hospitals(first: 1) { nodes { id } } }`;

const attemptLogin = (email: string, password: string = demo.DEMO_PASSWORD, requestId = randomUUID()) =>
  postGraphQL<{ login: Session }>(center.url, LOGIN, { email, password }, { 'x-request-id': requestId });

/** The audit rows one request left (tests send their own request id to find them). */
const auditRowsOf = (requestId: string) =>
  center.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('occurred_at').execute();

async function login(email: string): Promise<Session> {
  const response = await attemptLogin(email);
  expect(response.errors, email).toBeUndefined();
  return response.data!.login;
}

const refresh = (refreshToken: string, requestId = randomUUID()) =>
  postGraphQL<{ refreshToken: Session }>(center.url, REFRESH, { refreshToken }, { 'x-request-id': requestId });

/** Any operation that needs a valid access token. */
const readHospitals = (accessToken: string) => postGraphQL(center.url, HOSPITALS, {}, bearer(accessToken));

const kidOf = (accessToken: string) => decodeProtectedHeader(accessToken).kid;

async function publishedKids(): Promise<(string | undefined)[]> {
  const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
  return jwks.keys.map((key) => key.kid);
}

const expectUnauthenticated = (response: GraphQLResponse<unknown>) => {
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  expect(response.data ?? null).toBeNull();
};

async function setActive(email: string, isActive: boolean) {
  const admin = await login('admin@center.demo');
  const response = await postGraphQL(
    center.url,
    `mutation($id: ID!, $isActive: Boolean!) { setUserActive(id: $id, isActive: $isActive) { id } }`,
    { id: stableId(`user/${email}`), isActive },
    bearer(admin.accessToken),
  );
  expect(response.errors).toBeUndefined();
}

/** A key as another replica would store it: the center has never seen it in memory. */
async function storeKey(retiredSecondsAgo: number | null): Promise<SigningKey> {
  const key = await generateSigningKey();
  await center.database.db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      private_jwk: jsonText(key.privateJwk as JsonValue),
      public_jwk: jsonText(key.publicJwk as JsonValue),
      retired_at: retiredSecondsAgo === null ? null : sql<Date>`now() - make_interval(secs => ${retiredSecondsAgo})`,
    })
    .execute();
  return key;
}

const ADMIN_VIEWER: Viewer = { userId: stableId('user/admin@center.demo'), role: 'CENTER_ADMIN', hospitalId: null, agencyId: null };
const signAsAdmin = (key: SigningKey, audience = DEFAULT_AUDIENCE) =>
  signAccessToken(key, ADMIN_VIEWER, { issuer: DEFAULT_ISSUER, audience, ttlSeconds: 900 });

describe('signing in', () => {
  it('returns an access token that names the account, its role, its hospital and the key that signed it', async () => {
    const before = Math.floor(Date.now() / 1000);
    const session = await login('coordinator@hospital-1.demo');

    const header = decodeProtectedHeader(session.accessToken);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(await publishedKids()).toContain(header.kid);

    const claims = decodeJwt(session.accessToken);
    expect(claims).toMatchObject({
      sub: stableId('user/coordinator@hospital-1.demo'),
      role: 'HOSPITAL_STAFF',
      hospital_id: stableId('hospital-1'),
      iss: DEFAULT_ISSUER,
      aud: DEFAULT_AUDIENCE,
    });
    expect(claims.agency_id).toBeUndefined();
    expect(claims.exp! - before).toBeGreaterThanOrEqual(900);
    expect(claims.exp! - before).toBeLessThanOrEqual(905);
    expect(new Date(session.accessTokenExpiresAt).getTime()).toBe(claims.exp! * 1000);

    expect(session.user).toMatchObject({ id: stableId('user/coordinator@hospital-1.demo'), role: 'HOSPITAL_STAFF' });
    expect(new Date(session.user.lastLoginAt!).getTime()).toBeGreaterThanOrEqual((before - 5) * 1000);
    expect((await readHospitals(session.accessToken)).errors).toBeUndefined();
  });

  it('stores the refresh token as a SHA-256 hash only', async () => {
    const session = await login('coordinator@hospital-2.demo');
    expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await center.database.db
      .selectFrom('refresh_tokens')
      .select(['token_hash', 'expires_at'])
      .where('user_id', '=', stableId('user/coordinator@hospital-2.demo'))
      .execute();
    expect(rows.map((row) => row.token_hash)).toEqual([createHash('sha256').update(session.refreshToken).digest('hex')]);
    const days = (rows[0]!.expires_at.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('accepts the email in any letter case', async () => {
    const session = await login('  Coordinator@HOSPITAL-1.demo ');
    expect(session.user.id).toBe(stableId('user/coordinator@hospital-1.demo'));
  });

  it('refuses a wrong password, an unknown email and a deactivated account alike, with UNAUTHENTICATED and one message', async () => {
    await setActive('crew@agency-1.demo', false);
    const attempts: [email: string, password: string, reason: string, entityId: string | null][] = [
      ['dispatcher@agency-1.demo', 'medport-demo!', 'WRONG_PASSWORD', stableId('user/dispatcher@agency-1.demo')],
      ['nobody@agency-1.demo', demo.DEMO_PASSWORD, 'UNKNOWN_ACCOUNT', null],
      ['crew@agency-1.demo', demo.DEMO_PASSWORD, 'INACTIVE_ACCOUNT', stableId('user/crew@agency-1.demo')],
      ['not an email at all', '', 'UNKNOWN_ACCOUNT', null],
    ];
    const responses = [];
    for (const [email, password, reason, entityId] of attempts) {
      const requestId = randomUUID();
      responses.push(await attemptLogin(email, password, requestId));
      // The reason is for the trail only; the caller gets the same answer whatever it was.
      const rows = await auditRowsOf(requestId);
      expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.entity_id, row.details]), email).toEqual([
        ['LOGIN', 'DENIED', null, entityId, { reason }],
      ]);
    }
    for (const response of responses) expectUnauthenticated(response);
    expect(new Set(responses.map((response) => response.errors![0]!.message))).toEqual(new Set(['Email or password is wrong.']));
    await setActive('crew@agency-1.demo', true);
    expect((await attemptLogin('crew@agency-1.demo')).errors).toBeUndefined();
  });

  it('refuses an anonymous query with UNAUTHENTICATED before reaching any data', async () => {
    expectUnauthenticated(await postGraphQL(center.url, HOSPITALS));
    expectUnauthenticated(await postGraphQL(center.url, ROTATE));
  });

  it('refuses a token signed by a key the center does not know', async () => {
    const stranger = await generateSigningKey();
    expectUnauthenticated(await readHospitals(await signAsAdmin(stranger)));
  });

  it('refuses a token from a known key that was made for another audience', async () => {
    const key = await storeKey(null);
    expect((await readHospitals(await signAsAdmin(key))).errors).toBeUndefined();
    expectUnauthenticated(await readHospitals(await signAsAdmin(key, 'some-other-api')));
  });
});

describe('refresh tokens', () => {
  it('rotates: the new tokens work and the refresh token presented is spent', async () => {
    const first = await login('dispatcher@agency-1.demo');
    const renewed = await refresh(first.refreshToken);
    expect(renewed.errors).toBeUndefined();
    const second = renewed.data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(decodeJwt(second.accessToken)).toMatchObject({ sub: stableId('user/dispatcher@agency-1.demo'), agency_id: stableId('agency-1') });
    expect((await readHospitals(second.accessToken)).errors).toBeUndefined();
    expectUnauthenticated(await refresh(first.refreshToken));
  });

  it('revokes the whole family when a spent refresh token is presented again, the newest token included', async () => {
    const first = await login('dispatcher@agency-2.demo');
    const second = (await refresh(first.refreshToken)).data!.refreshToken;
    const third = (await refresh(second.refreshToken)).data!.refreshToken;
    expectUnauthenticated(await refresh(first.refreshToken));
    expectUnauthenticated(await refresh(third.refreshToken));

    const hash = createHash('sha256').update(third.refreshToken).digest('hex');
    const family = await center.database.db
      .selectFrom('refresh_tokens')
      .select('revoked_at')
      .where('family_id', '=', (eb) => eb.selectFrom('refresh_tokens').select('family_id').where('token_hash', '=', hash))
      .execute();
    expect(family).toHaveLength(3);
    expect(family.every((token) => token.revoked_at !== null)).toBe(true);
  });

  it('lets only one of two concurrent refreshes with one token through, and treats the other as reuse', async () => {
    const session = await login('admin@agency-1.demo');
    const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
    const succeeded = results.filter((result) => !result.errors);
    expect(succeeded).toHaveLength(1);
    expect(results.flatMap(errorCodes)).toEqual(['UNAUTHENTICATED']);
    expectUnauthenticated(await refresh(succeeded[0]!.data!.refreshToken.refreshToken));
  });

  it('records a spent refresh token presented again as REFRESH_TOKEN_REUSE, naming the account and the family it revoked', async () => {
    const first = await login('admin@agency-2.demo');
    expect((await refresh(first.refreshToken)).errors).toBeUndefined();
    const requestId = randomUUID();
    expectUnauthenticated(await refresh(first.refreshToken, requestId));
    const [token] = await center.database.db
      .selectFrom('refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', createHash('sha256').update(first.refreshToken).digest('hex'))
      .execute();
    const rows = await auditRowsOf(requestId);
    expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.entity_type, row.entity_id, row.details])).toEqual([
      ['REFRESH_TOKEN_REUSE', 'DENIED', null, 'User', stableId('user/admin@agency-2.demo'), { familyId: token!.family_id }],
    ]);
    expect(JSON.stringify(rows[0])).not.toContain(first.refreshToken);
  });

  it('refuses a malformed or unknown refresh token', async () => {
    expectUnauthenticated(await refresh('not a token'));
    expectUnauthenticated(await refresh('A'.repeat(43)));
  });

  it('ends the sessions of a deactivated account for good', async () => {
    const session = await login('admin@hospital-1.demo');
    await setActive('admin@hospital-1.demo', false);
    expectUnauthenticated(await refresh(session.refreshToken));
    await setActive('admin@hospital-1.demo', true);
    expectUnauthenticated(await refresh(session.refreshToken));
  });

  it('ends the sessions of an account deactivated and reactivated while nobody refreshed', async () => {
    const session = await login('coordinator@hospital-3.demo');
    await setActive('coordinator@hospital-3.demo', false);
    await setActive('coordinator@hospital-3.demo', true);
    expectUnauthenticated(await refresh(session.refreshToken));
    const fresh = await login('coordinator@hospital-3.demo');
    expect((await refresh(fresh.refreshToken)).errors).toBeUndefined();
  });

  it('logs out: the refresh token is refused afterwards, and an unknown token still answers true', async () => {
    const session = await login('crew@agency-1.demo');
    const renewed = (await refresh(session.refreshToken)).data!.refreshToken;
    const loggedOut = await postGraphQL<{ logout: boolean }>(center.url, LOGOUT, { refreshToken: renewed.refreshToken });
    expect(loggedOut.data).toEqual({ logout: true });
    expectUnauthenticated(await refresh(renewed.refreshToken));

    for (const unknown of ['A'.repeat(43), 'not a token']) {
      expect((await postGraphQL<{ logout: boolean }>(center.url, LOGOUT, { refreshToken: unknown })).data).toEqual({ logout: true });
    }
  });

  it('records a logout, naming the account whose session ended, or none when the token ended nothing', async () => {
    const session = await login('dispatcher@agency-1.demo');
    const logoutWith = async (refreshToken: string) => {
      const requestId = randomUUID();
      expect((await postGraphQL(center.url, LOGOUT, { refreshToken }, { 'x-request-id': requestId })).data).toEqual({ logout: true });
      return (await auditRowsOf(requestId)).map((row) => [row.action, row.outcome, row.entity_id, row.details]);
    };
    const ended = await logoutWith(session.refreshToken);
    expect(ended).toEqual([['LOGOUT', 'ALLOWED', stableId('user/dispatcher@agency-1.demo'), { sessionEnded: true, familyId: expect.any(String) }]]);
    expect(await logoutWith(session.refreshToken)).toEqual([['LOGOUT', 'ALLOWED', null, { sessionEnded: false, familyId: null }]]);
    expect(await logoutWith('not a token')).toEqual([['LOGOUT', 'ALLOWED', null, { sessionEnded: false, familyId: null }]]);
  });
});

describe('signing keys', () => {
  it('keeps tokens signed before a rotation valid, signs new ones with the new key and publishes both', async () => {
    const admin = await login('admin@center.demo');
    const before = await login('coordinator@hospital-1.demo');
    const oldKid = kidOf(before.accessToken);

    const rotated = await postGraphQL<{ rotateSigningKey: { kid: string; createdAt: string } }>(center.url, ROTATE, {}, bearer(admin.accessToken));
    expect(rotated.errors).toBeUndefined();
    const newKid = rotated.data!.rotateSigningKey.kid;
    expect(newKid).not.toBe(oldKid);

    expect((await readHospitals(before.accessToken)).errors).toBeUndefined();
    expect(kidOf((await login('coordinator@hospital-1.demo')).accessToken)).toBe(newKid);
    expect(kidOf((await refresh(before.refreshToken)).data!.refreshToken.accessToken)).toBe(newKid);

    const response = await fetch(jwksUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('max-age=60');
    const jwks = (await response.json()) as { keys: JWK[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(key.d).toBeUndefined();
    }
  });

  it('refuses a key rotation to anyone but a center administrator, with FORBIDDEN', async () => {
    const countKeys = async () => (await center.database.db.selectFrom('signing_keys').select('kid').execute()).length;
    const keys = await countKeys();
    const analyst = await login('analyst@center.demo');
    const requestId = randomUUID();
    const response = await postGraphQL(center.url, ROTATE, {}, { ...bearer(analyst.accessToken), 'x-request-id': requestId });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(await countKeys()).toBe(keys);
    const rows = await auditRowsOf(requestId);
    expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.actor_role, row.entity_id])).toEqual([
      ['ROTATE_SIGNING_KEY', 'DENIED', stableId('user/analyst@center.demo'), 'CENTER_STAFF', null],
    ]);
  });

  it('records a rotation with the new key id and the administrator who made it', async () => {
    const admin = await login('admin@center.demo');
    const requestId = randomUUID();
    const rotated = await postGraphQL<{ rotateSigningKey: { kid: string } }>(center.url, ROTATE, {}, { ...bearer(admin.accessToken), 'x-request-id': requestId });
    expect(rotated.errors).toBeUndefined();
    const rows = await auditRowsOf(requestId);
    expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.entity_type, row.entity_id])).toEqual([
      ['ROTATE_SIGNING_KEY', 'ALLOWED', stableId('user/admin@center.demo'), 'SigningKey', rotated.data!.rotateSigningKey.kid],
    ]);
  });

  it('accepts at once a token signed by a key that another replica has just created', async () => {
    const key = await storeKey(null);
    expect((await readHospitals(await signAsAdmin(key))).errors).toBeUndefined();
    expect(await publishedKids()).toContain(key.kid);
    // It is now the newest active key, so this replica signs with it too.
    expect(kidOf((await login('analyst@center.demo')).accessToken)).toBe(key.kid);
  });

  it('stops publishing and accepting a retired key once every token it signed has expired', async () => {
    const recent = await storeKey(60);
    const old = await storeKey(21 * 60);
    const kids = await publishedKids();
    expect(kids).toContain(recent.kid);
    expect(kids).not.toContain(old.kid);
    expect((await readHospitals(await signAsAdmin(recent))).errors).toBeUndefined();
    expectUnauthenticated(await readHospitals(await signAsAdmin(old)));
  });
});
