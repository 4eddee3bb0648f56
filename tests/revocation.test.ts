import { demo } from '@medport/domain';
import { bearer, postGraphQL } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

// An access token lives 15 minutes. When the center ends what it stands for (the account is deactivated, the
// session signed out, its refresh token presented twice), every silo must refuse it within seconds, not minutes.

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken user { id } } }`;
/** One read of each silo, asked of each subgraph itself (a token the gateway let through is checked again there). */
const READS = {
  hospital: `{ facilities(first: 1) { nodes { id } } }`,
  ems: `{ agencies(first: 1) { nodes { id } } }`,
  center: `{ hospitals(first: 1) { nodes { id } } }`,
} as const;

async function signIn(email: string) {
  const response = await postGraphQL<any>(stack.gatewayUrl, LOGIN, { email, password: demo.DEMO_PASSWORD });
  expect(response.errors).toBeUndefined();
  return response.data.login as { accessToken: string; refreshToken: string; user: { id: string } };
}

/** The code each silo answers the token with: OK, or the error's code. */
async function verdicts(token: string) {
  const entries = await Promise.all(
    (Object.keys(READS) as (keyof typeof READS)[]).map(async (silo) => {
      const response = await postGraphQL(stack.subgraphs[silo].url, READS[silo], {}, bearer(token));
      return [silo, response.errors?.[0]?.extensions?.code ?? 'OK'] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Waits until every silo refuses the token (polled every 50 ms, for at most 10 s); returns how long it took, in ms. */
async function untilRefusedEverywhere(token: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const now = await verdicts(token);
    if (Object.values(now).every((code) => code === 'UNAUTHENTICATED')) return Date.now() - started;
    if (Date.now() - started > 10_000) throw new Error(`Still accepted after 10 s: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const REFUSED = { hospital: 'UNAUTHENTICATED', ems: 'UNAUTHENTICATED', center: 'UNAUTHENTICATED' };
const ACCEPTED = { hospital: 'OK', ems: 'OK', center: 'OK' };

describe('a revoked access token', () => {
  it('is refused by every silo within seconds of its account being deactivated, and through the gateway, while a new sign-in works', async () => {
    const email = 'coordinator@hospital-2.demo';
    const session = await signIn(email);
    expect(await verdicts(session.accessToken)).toEqual(ACCEPTED);
    const deactivated = await postGraphQL<any>(
      stack.gatewayUrl,
      `mutation($id: ID!) { setUserActive(id: $id, isActive: false) { id } }`,
      { id: session.user.id },
      await stack.as('admin@center.demo'),
    );
    expect(deactivated.errors).toBeUndefined();
    await untilRefusedEverywhere(session.accessToken);
    const throughGateway = await postGraphQL(stack.gatewayUrl, `{ transportRequests(first: 1) { nodes { id } } }`, {}, bearer(session.accessToken));
    expect(throughGateway.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(throughGateway.data?.transportRequests ?? null).toBeNull();
    // Reactivated, the account signs in again, at once, with a new session whose token works everywhere.
    await postGraphQL(stack.gatewayUrl, `mutation($id: ID!) { setUserActive(id: $id, isActive: true) { id } }`, { id: session.user.id }, await stack.as('admin@center.demo'));
    expect(await verdicts((await signIn(email)).accessToken)).toEqual(ACCEPTED);
  });

  it('is refused everywhere once its session signs out, while another session of the same account keeps working', async () => {
    const email = 'dispatcher@agency-2.demo';
    const [phone, desk] = [await signIn(email), await signIn(email)];
    expect(await verdicts(phone.accessToken)).toEqual(ACCEPTED);
    const loggedOut = await postGraphQL<any>(stack.gatewayUrl, `mutation($token: String!) { logout(refreshToken: $token) }`, { token: phone.refreshToken });
    expect(loggedOut.data?.logout).toBe(true);
    await untilRefusedEverywhere(phone.accessToken);
    expect(await verdicts(phone.accessToken)).toEqual(REFUSED);
    expect(await verdicts(desk.accessToken)).toEqual(ACCEPTED);
  });

  it("is refused everywhere once its session's spent refresh token is presented again", async () => {
    const session = await signIn('crew@agency-1.demo');
    const refresh = `mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken } }`;
    const renewed = await postGraphQL<any>(stack.gatewayUrl, refresh, { token: session.refreshToken });
    expect(renewed.errors).toBeUndefined();
    const replayed = await postGraphQL<any>(stack.gatewayUrl, refresh, { token: session.refreshToken });
    expect(replayed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The stolen family ends whole: the first token and the one the refresh gave.
    await untilRefusedEverywhere(session.accessToken);
    await untilRefusedEverywhere(renewed.data.refreshToken.accessToken);
  });
});
