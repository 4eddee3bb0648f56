import { randomBytes, scryptSync } from 'node:crypto';
import { loadSubgraphConfig } from '@medport/config';
import { demo, stableId } from '@medport/domain';
import { startSubgraph, type RunningSubgraph } from '@medport/server';
import { createTestDatabase, errorCodes, postGraphQL, type TestDatabase } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { centerSubgraph, type CenterDatabase } from '../src/index.js';
import { verifyPassword } from '../src/modules/users/passwords.js';

// At production cost, unlike the rest of the suite: what is checked is that old hashes end up with OWASP's parameters.
vi.stubEnv('PASSWORD_HASH_COST', '17');

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
  vi.unstubAllEnvs();
});

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id lastLoginAt } } }`;

const attemptLogin = (email: string, password: string) =>
  postGraphQL<{ login: { accessToken: string; user: { id: string; lastLoginAt: string | null } } }>(center.url, LOGIN, { email, password });

/** The demo password as the center hashed passwords before it adopted OWASP's minimum: N = 16384. */
function oldHashOf(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

const storedHashOf = async (email: string) =>
  (await center.database.db.selectFrom('users').select('password_hash').where('id', '=', stableId(`user/${email}`)).executeTakeFirstOrThrow()).password_hash;

const giveOldHash = (email: string, hash: string) =>
  center.database.db.updateTable('users').set({ password_hash: hash }).where('id', '=', stableId(`user/${email}`)).execute();

describe('passwords hashed with older parameters', () => {
  it('are rehashed with N=2^17, r=8, p=1 at the next sign-in with the right password, and the new hash verifies', async () => {
    const email = 'coordinator@hospital-2.demo';
    const old = oldHashOf(demo.DEMO_PASSWORD);
    await giveOldHash(email, old);

    const signedIn = await attemptLogin(email, demo.DEMO_PASSWORD);
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data!.login.user.lastLoginAt).not.toBeNull();

    const stored = await storedHashOf(email);
    expect(stored).not.toBe(old);
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '131072', '8', '1']);
    expect(await verifyPassword(demo.DEMO_PASSWORD, stored)).toBe(true);
    expect(await verifyPassword('not-the-medport-password', stored)).toBe(false);
    // The next sign-in checks the new hash and leaves it as it is.
    expect((await attemptLogin(email, demo.DEMO_PASSWORD)).errors).toBeUndefined();
    expect(await storedHashOf(email)).toBe(stored);
  });

  it('stay as they are after a wrong password, and are rehashed by the right one after it', async () => {
    const email = 'dispatcher@agency-2.demo';
    const old = oldHashOf(demo.DEMO_PASSWORD);
    await giveOldHash(email, old);

    const refused = await attemptLogin(email, 'not-the-medport-password');
    expect(errorCodes(refused)).toEqual(['UNAUTHENTICATED']);
    expect(await storedHashOf(email)).toBe(old);

    expect((await attemptLogin(email, demo.DEMO_PASSWORD)).errors).toBeUndefined();
    expect((await storedHashOf(email)).split('$')[1]).toBe('131072');
  });

  it('stay as they are for a deactivated account, even with the right password, until it is active again', async () => {
    const email = 'crew@agency-2.demo';
    const old = oldHashOf(demo.DEMO_PASSWORD);
    await giveOldHash(email, old);
    const setActive = (isActive: boolean) =>
      center.database.db.updateTable('users').set({ is_active: isActive }).where('id', '=', stableId(`user/${email}`)).execute();

    await setActive(false);
    expect(errorCodes(await attemptLogin(email, demo.DEMO_PASSWORD))).toEqual(['UNAUTHENTICATED']);
    expect(await storedHashOf(email)).toBe(old);

    await setActive(true);
    expect((await attemptLogin(email, demo.DEMO_PASSWORD)).errors).toBeUndefined();
    expect((await storedHashOf(email)).split('$')[1]).toBe('131072');
  });
});
