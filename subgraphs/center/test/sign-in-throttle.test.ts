import { createHash, randomUUID } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { createTestDatabase, errorCodes, postGraphQL, type GraphQLResponse, type TestDatabase } from '@medport/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';
import { SIGN_IN_LIMITS } from '../src/modules/auth/sign-in-limits.js';

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

/**
 * Every test signs in from client addresses of its own, as the gateway forwards them (the center believes the
 * x-forwarded-for of loopback peers, where the quick start's gateway runs): the failures of one test, and its share
 * of one address's attempts, are none of another's.
 */
let lastAddress = 0;
const newAddress = () => `198.51.100.${++lastAddress}`;

const attemptLogin = (email: string, password: string, address: string, requestId = randomUUID()) =>
  postGraphQL<{ login: { accessToken: string; user: { id: string } } }>(center.url, LOGIN, { email, password }, { 'x-request-id': requestId, 'x-forwarded-for': address });

/** The refusal message, after checking that the attempt was refused the way every refused sign-in is. */
function refusalOf(response: GraphQLResponse<unknown>): string {
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  expect(response.data ?? null).toBeNull();
  return response.errors![0]!.message;
}

/** Sends `count` sign-ins with a wrong password from `address`, one after the other, and returns the messages they got. */
async function failTimes(email: string, count: number, address: string): Promise<string[]> {
  const messages: string[] = [];
  for (let attempt = 0; attempt < count; attempt++) messages.push(refusalOf(await attemptLogin(email, WRONG_PASSWORD, address)));
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
    const address = newAddress();
    expect(await failTimes(email, 10, address)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, address))).toBe(THROTTLED);
    expect(refusalOf(await attemptLogin(email, WRONG_PASSWORD, address))).toBe(THROTTLED);
    // Throttled attempts are not recorded, so they do not push the end of the throttle further out.
    expect(await storedAttempts(email)).toHaveLength(10);
  });

  it('throttles an email in whatever letter case and spacing it is typed', async () => {
    const email = 'admin@agency-5.demo';
    const address = newAddress();
    expect(await failTimes(' Admin@Agency-5.demo', 5, address)).toEqual(Array(5).fill(WRONG));
    expect(await failTimes('ADMIN@AGENCY-5.DEMO  ', 5, address)).toEqual(Array(5).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, address))).toBe(THROTTLED);
  });

  it('leaves a different account unaffected while one is throttled', async () => {
    const throttled = 'dispatcher@agency-4.demo';
    const address = newAddress();
    await failTimes(throttled, 10, address);
    expect(refusalOf(await attemptLogin(throttled, demo.DEMO_PASSWORD, address))).toBe(THROTTLED);

    const other = await attemptLogin('admin@hospital-4.demo', demo.DEMO_PASSWORD, address);
    expect(other.errors).toBeUndefined();
    expect(other.data!.login.user.id).toBe(stableId('user/admin@hospital-4.demo'));
    expect(refusalOf(await attemptLogin('crew@agency-4.demo', WRONG_PASSWORD, address))).toBe(WRONG);
  });

  it('throttles an unknown email the same way after ten attempts, so the answer does not tell whether an account exists', async () => {
    const unknown = 'nobody-at-all@hospital-4.demo';
    const address = newAddress();
    expect(await failTimes(unknown, 10, address)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(unknown, demo.DEMO_PASSWORD, address))).toBe(THROTTLED);
  });

  it('lets the right password in again once the window has passed, and that sign-in clears the count', async () => {
    const email = 'crew@agency-3.demo';
    const address = newAddress();
    await failTimes(email, 10, address);
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, address))).toBe(THROTTLED);

    await center.database.db
      .updateTable('sign_in_attempts')
      .set({ attempted_at: sql<Date>`attempted_at - interval '16 minutes'` })
      .where('email_hash', '=', keyOf(email))
      .execute();
    const signedIn = await attemptLogin(email, demo.DEMO_PASSWORD, address);
    expect(signedIn.errors).toBeUndefined();
    expect(await storedAttempts(email)).toEqual([]);
    expect(await failTimes(email, 10, address)).toEqual(Array(10).fill(WRONG));
  });

  it('forgets the failures of an email once it signs in successfully', async () => {
    const email = 'dispatcher@agency-3.demo';
    const address = newAddress();
    expect(await failTimes(email, 9, address)).toEqual(Array(9).fill(WRONG));
    expect((await attemptLogin(email, demo.DEMO_PASSWORD, address)).errors).toBeUndefined();
    expect(await storedAttempts(email)).toEqual([]);
    // Without the reset, the second of these would already be the eleventh failure.
    expect(await failTimes(email, 10, address)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, address))).toBe(THROTTLED);
  });

  it('lets no more than ten of many concurrent attempts with one email through to the password check', async () => {
    const email = 'admin@agency-3.demo';
    const address = newAddress();
    await failTimes(email, 6, address);
    // As many at once as the password checks take in and the address has attempts left for (the rest would be
    // refused before the throttle is asked).
    const { slots, queuedPerSlot } = SIGN_IN_LIMITS.passwordChecks;
    const concurrent = Math.min(slots * (1 + queuedPerSlot), SIGN_IN_LIMITS.perClient.burst - 6);
    const responses = await Promise.all(Array.from({ length: concurrent }, () => attemptLogin(email, WRONG_PASSWORD, address)));
    const messages = responses.map(refusalOf);
    expect(messages.filter((message) => message === WRONG)).toHaveLength(4);
    expect(messages.filter((message) => message === THROTTLED)).toHaveLength(concurrent - 4);
    expect(await storedAttempts(email)).toHaveLength(10);
  });

  it('leaves a LOGIN DENIED row with reason THROTTLED for a throttled attempt, naming the account but never the email', async () => {
    const email = 'crew@agency-5.demo';
    const address = newAddress();
    await failTimes(email, 10, address);
    const known = randomUUID();
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, address, known))).toBe(THROTTLED);
    const unknownEmail = 'correct-horse-battery@nowhere.demo';
    await failTimes(unknownEmail, 10, address);
    const unknown = randomUUID();
    expect(refusalOf(await attemptLogin(unknownEmail, WRONG_PASSWORD, address, unknown))).toBe(THROTTLED);

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
    const address = newAddress();
    await attemptLogin('  Coordinator@Hospital-3.DEMO ', WRONG_PASSWORD, address);
    await attemptLogin(email, WRONG_PASSWORD, address);
    const rows = await storedAttempts(email);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.email_hash).toBe(createHash('sha256').update(email).digest('hex'));
      expect(row.client_hash).toBe(createHash('sha256').update(address).digest('hex'));
      expect(row.attempted_at).toBeInstanceOf(Date);
    }
    const everything = JSON.stringify(await center.database.db.selectFrom('sign_in_attempts').selectAll().execute()).toLowerCase();
    expect(everything).not.toContain('@');
    expect(everything).not.toContain('coordinator');
    expect(everything).not.toContain('198.51.100.');
  });
  it('keeps out the address that guessed ten times, not the owner signing in from another address', async () => {
    const email = 'coordinator@hospital-1.demo';
    const guesser = newAddress();
    const owner = newAddress();
    expect(await failTimes(email, 10, guesser)).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, guesser))).toBe(THROTTLED);

    const signedIn = await attemptLogin(email, demo.DEMO_PASSWORD, owner);
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data!.login.user.id).toBe(stableId(`user/${email}`));
    // The owner's sign-in forgets the owner's failures only: the guesser stays throttled.
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, guesser))).toBe(THROTTLED);
    expect(await storedAttempts(email)).toHaveLength(10);
  });

  it('throttles an email everywhere once it has failed 100 times from all addresses together', async () => {
    const email = 'admin@hospital-3.demo';
    // Nine addresses' ten failures each, as they would have been recorded, then the tenth address's, for real.
    const earlier = Array.from({ length: 9 }, () => createHash('sha256').update(newAddress()).digest('hex'));
    await center.database.db
      .insertInto('sign_in_attempts')
      .values(earlier.flatMap((clientHash) => Array.from({ length: 10 }, () => ({ id: randomUUID(), email_hash: keyOf(email), client_hash: clientHash }))))
      .execute();
    expect(await failTimes(email, 10, newAddress())).toEqual(Array(10).fill(WRONG));
    expect(refusalOf(await attemptLogin(email, demo.DEMO_PASSWORD, newAddress()))).toBe(THROTTLED);
    expect(await storedAttempts(email)).toHaveLength(100);
  });
});

const rawLogin = (email: string, password: string, address: string) =>
  fetch(center.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query: LOGIN, variables: { email, password } }),
  });

/**
 * Sends `count` sign-ins from the addresses `addressOf` gives, as many at once as the password checks take in: an
 * address's allowance is used up well within the time it takes to earn one attempt back.
 */
async function spend(count: number, addressOf: (attempt: number) => string): Promise<GraphQLResponse<unknown>[]> {
  const { slots, queuedPerSlot } = SIGN_IN_LIMITS.passwordChecks;
  const answers: GraphQLResponse<unknown>[] = [];
  for (let start = 0; start < count; start += slots * (1 + queuedPerSlot)) {
    const batch = Array.from({ length: Math.min(slots * (1 + queuedPerSlot), count - start) }, (_, index) => start + index);
    answers.push(...(await Promise.all(batch.map((attempt) => attemptLogin(`nobody-${randomUUID()}@hospital-1.demo`, WRONG_PASSWORD, addressOf(attempt))))));
  }
  return answers;
}

describe('sign-in attempts per client address', () => {
  const { burst } = SIGN_IN_LIMITS.perClient;

  it('answers TOO_MANY_REQUESTS with a retry hint once an address has used its attempts, alike for known and unknown emails', async () => {
    const address = newAddress();
    // Another email each time, so the per-email throttle never comes into it.
    expect((await spend(burst, () => address)).map(refusalOf)).toEqual(Array(burst).fill(WRONG));

    const refusals = [];
    const emails = ['admin@hospital-2.demo', 'nobody-else@hospital-2.demo'];
    const responses = await Promise.all(emails.map((email) => rawLogin(email, demo.DEMO_PASSWORD, address)));
    for (const [index, response] of responses.entries()) {
      const email = emails[index]!;
      const body = (await response.json()) as GraphQLResponse<unknown>;
      expect(response.status, email).toBe(429);
      expect(Number(response.headers.get('retry-after')), email).toBeGreaterThanOrEqual(1);
      expect(body.data ?? null).toBeNull();
      expect(body.errors).toHaveLength(1);
      const [error] = body.errors!;
      expect(error!.extensions?.retryAfterSeconds).toBe(Number(response.headers.get('retry-after')));
      refusals.push({ message: error!.message, extensions: error!.extensions });
    }
    expect(refusals[0]!.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(refusals[1]).toEqual(refusals[0]);

    // Other addresses have attempts of their own, and a refused attempt is not a failure of its email.
    const elsewhere = await attemptLogin('admin@hospital-2.demo', demo.DEMO_PASSWORD, newAddress());
    expect(elsewhere.errors).toBeUndefined();
    expect(await storedAttempts('nobody-else@hospital-2.demo')).toEqual([]);
  });

  it('counts the addresses of one IPv6 /64 as one client', async () => {
    const prefix = '2001:db8:5:7';
    expect((await spend(burst, (attempt) => `${prefix}::${(attempt + 1).toString(16)}`)).map(refusalOf)).toEqual(Array(burst).fill(WRONG));
    const next = await attemptLogin('admin@hospital-2.demo', demo.DEMO_PASSWORD, `${prefix}:ffff:ffff:ffff:ffff`);
    expect(errorCodes(next)).toEqual(['TOO_MANY_REQUESTS']);
    expect((await attemptLogin('admin@hospital-2.demo', demo.DEMO_PASSWORD, '2001:db8:5:8::1')).errors).toBeUndefined();
  });

});
