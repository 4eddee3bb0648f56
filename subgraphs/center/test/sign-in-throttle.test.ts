import { createHash, randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { createTestDatabase, errorCodes, postGraphQL, type GraphQLResponse, type TestDatabase } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';

// A subgraph of its own: the accounts throttled here stay throttled, which no other test file should meet.
let database: TestDatabase;
let center: RunningSubgraph<CenterDatabase>;

beforeAll(async () => {
  database = await createTestDatabase('center');
  const config = loadSubgraphConfig('center', 0, { ...database.env, HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'true' });
  center = await startSubgraph(centerSubgraph, config);
});

afterAll(async () => {
  await center?.stop();
  await database?.drop();
});

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id } } }`;
const WRONG = 'Email or password is wrong.';
const THROTTLED = 'Too many failed sign-ins; try again in a few minutes.';
const WRONG_PASSWORD = 'not-the-medport-password';

const attemptLogin = (email: string, password: string, requestId = randomUUID()) =>
  postGraphQL<{ login: { accessToken: string; user: { id: string } } }>(center.url, LOGIN, { email, password }, { 'x-request-id': requestId });

/** The refusal message, after checking that the attempt was refused the way every refused sign-in is. */
function refusalOf(response: GraphQLResponse<unknown>): string {
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  expect(response.data ?? null).toBeNull();
  return response.errors![0]!.message;
}

/** Sends `count` sign-ins with a wrong password, one after the other, and returns the messages they got. */
async function failTimes(email: string, count: number): Promise<string[]> {
  const messages: string[] = [];
  for (let attempt = 0; attempt < count; attempt++) messages.push(refusalOf(await attemptLogin(email, WRONG_PASSWORD)));
  return messages;
}

const keyOf = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

const storedAttempts = (email: string) =>
  center.database.db.selectFrom('sign_in_attempts').selectAll().where('email_hash', '=', keyOf(email)).execute();

const auditRowsOf = (requestId: string) =>
  center.database.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).orderBy('occurred_at').execute();

describe('sign-in throttle', () => {
  it('answers ten wrong passwords with the usual refusal, and the eleventh attempt, even with the right password, with the throttle message', async () => {
    const email = 'coordinator@hospital-4.demo';
    expect(await failTimes(email, 10)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD))).toBe(THROTTLED);
    expect(refusalOf(await attemptLogin(email, WRONG_PASSWORD))).toBe(THROTTLED);
    // Throttled attempts are not recorded, so they do not push the end of the throttle further out.
    expect(await storedAttempts(email)).toHaveLength(10);
  });

  it('throttles an email in whatever letter case and spacing it is typed', async () => {
    const email = 'admin@agency-5.demo';
    expect(await failTimes(' Admin@Agency-5.demo', 5)).toEqual(Array(5).fill(WRONG));
    expect(await failTimes('ADMIN@AGENCY-5.DEMO  ', 5)).toEqual(Array(5).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD))).toBe(THROTTLED);
  });

  it('leaves a different account unaffected while one is throttled', async () => {
    const throttled = 'dispatcher@agency-4.demo';
    await failTimes(throttled, 10);
    expect(refusalOf(await attemptLogin(throttled, demo.DEMO_PASSWORD))).toBe(THROTTLED);

    const other = await attemptLogin('admin@hospital-4.demo', demo.DEMO_PASSWORD);
    expect(other.errors).toBeUndefined();
    expect(other.data!.login.user.id).toBe(stableId('user/admin@hospital-4.demo'));
    expect(refusalOf(await attemptLogin('crew@agency-4.demo', WRONG_PASSWORD))).toBe(WRONG);
  });

  it('throttles an unknown email the same way after ten attempts, so the answer does not tell whether an account exists', async () => {
    const unknown = 'nobody-at-all@hospital-4.demo';
    expect(await failTimes(unknown, 10)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(unknown, demo.DEMO_PASSWORD))).toBe(THROTTLED);
  });

  it('lets the right password in again once the window has passed, and that sign-in clears the count', async () => {
    const email = 'crew@agency-3.demo';
    await failTimes(email, 10);
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD))).toBe(THROTTLED);

    await center.database.db
      .updateTable('sign_in_attempts')
      .set({ attempted_at: sql<Date>`attempted_at - interval '16 minutes'` })
      .where('email_hash', '=', keyOf(email))
      .execute();
    const signedIn = await attemptLogin(email, demo.DEMO_PASSWORD);
    expect(signedIn.errors).toBeUndefined();
    expect(await storedAttempts(email)).toEqual([]);
    expect(await failTimes(email, 10)).toEqual(Array(10).fill(WRONG));
  });

  it('forgets the failures of an email once it signs in successfully', async () => {
    const email = 'dispatcher@agency-3.demo';
    expect(await failTimes(email, 9)).toEqual(Array(9).fill(WRONG));
    expect((await attemptLogin(email, demo.DEMO_PASSWORD)).errors).toBeUndefined();
    expect(await storedAttempts(email)).toEqual([]);
    // Without the reset, the second of these would already be the eleventh failure.
    expect(await failTimes(email, 10)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD))).toBe(THROTTLED);
  });

  it('lets no more than ten of many concurrent attempts with one email through to the password check', async () => {
    const email = 'admin@agency-3.demo';
    const responses = await Promise.all(Array.from({ length: 25 }, () => attemptLogin(email, WRONG_PASSWORD)));
    const messages = responses.map(refusalOf);
    expect(messages.filter((message) => message === WRONG)).toHaveLength(10);
    expect(messages.filter((message) => message === THROTTLED)).toHaveLength(15);
    expect(await storedAttempts(email)).toHaveLength(10);
  });

  it('leaves a LOGIN DENIED row with reason THROTTLED for a throttled attempt, naming the account but never the email', async () => {
    const email = 'crew@agency-5.demo';
    await failTimes(email, 10);
    const known = randomUUID();
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, known))).toBe(THROTTLED);
    const unknownEmail = 'correct-horse-battery@nowhere.demo';
    await failTimes(unknownEmail, 10);
    const unknown = randomUUID();
    expect(refusalOf(await attemptLogin(unknownEmail, WRONG_PASSWORD, unknown))).toBe(THROTTLED);

    for (const [requestId, typed, entityId] of [
      [known, email, stableId(`user/${email}`)],
      [unknown, unknownEmail, null],
    ] as const) {
      const rows = await auditRowsOf(requestId);
      expect(rows.map((row) => [row.action, row.outcome, row.actor_id, row.entity_type, row.entity_id, row.details])).toEqual([
        ['LOGIN', 'DENIED', null, 'User', entityId, { reason: 'THROTTLED' }],
      ]);
      const text = JSON.stringify(rows[0]).toLowerCase();
      expect(text).not.toContain(typed);
      expect(text).not.toContain(typed.split('@')[0]!);
      expect(text).not.toContain(keyOf(typed));
    }
  });

  it('stores a SHA-256 hash of the normalised email in the attempts table, never the email itself', async () => {
    const email = 'coordinator@hospital-3.demo';
    await attemptLogin('  Coordinator@Hospital-3.DEMO ', WRONG_PASSWORD);
    await attemptLogin(email, WRONG_PASSWORD);
    const rows = await storedAttempts(email);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.email_hash).toBe(createHash('sha256').update(email).digest('hex'));
      expect(row.attempted_at).toBeInstanceOf(Date);
    }
    const everything = JSON.stringify(await center.database.db.selectFrom('sign_in_attempts').selectAll().execute()).toLowerCase();
    expect(everything).not.toContain('@');
    expect(everything).not.toContain('coordinator');
  });
});
