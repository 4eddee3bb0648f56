import { randomUUID } from 'node:crypto';
import { demo } from '@medport/domain';
import type { RunningGateway } from '@medport/gateway';
import type { GraphQLResponse } from '@medport/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
/** A second gateway, behind a (simulated) load balancer on loopback whose x-forwarded-for it believes. */
let behindProxy: RunningGateway;

beforeAll(async () => {
  stack = await startStack();
  behindProxy = await stack.startGateway({ TRUSTED_PROXIES: '127.0.0.1' });
}, 180_000);

afterAll(async () => {
  await behindProxy?.stop();
  await stack?.stop();
});

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`;
const WRONG_PASSWORD = 'not-the-medport-password';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: GraphQLResponse<{ login: { accessToken: string } }>;
}

async function login(url: string, email: string, password: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: LOGIN, variables: { email, password } }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

/** What a client can tell an answer by: everything but the request id. */
const shapeOf = (answer: Answer) =>
  JSON.stringify({ status: answer.status, retryAfter: answer.retryAfter !== null, data: answer.body.data ?? null, errors: answer.body.errors ?? [] });
/** Its shape with the two refusals of a password alike (how many wrong ones a flood gets checked before the throttle counts them depends on timing). */
const refusalShapeOf = (answer: Answer) => shapeOf(answer).replace('Too many failed sign-ins; try again in a few minutes.', 'Email or password is wrong.');

describe('sign-in under a flood of anonymous attempts', () => {
  it('answers 60 concurrent sign-ins of one client, forged x-forwarded-for and all, with refusals it can retry, never an internal error, alike for known and unknown emails', async () => {
    // One email with an account and one without, each sent 30 times: both are counted alike.
    const nobody = `nobody-${randomUUID()}@hospital-1.demo`;
    const attempts = Array.from({ length: 60 }, (_, index) => ({
      known: index % 2 === 0,
      email: index % 2 === 0 ? 'admin@hospital-1.demo' : nobody,
      // A client that names itself another address every time: the gateway counts it as what it is.
      forged: `203.0.113.${index + 1}`,
    }));
    const answers = await Promise.all(attempts.map((attempt) => login(stack.gatewayUrl, attempt.email, WRONG_PASSWORD, { 'x-forwarded-for': attempt.forged })));

    const codes = answers.map(codeOf);
    expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
    expect(new Set(codes)).toEqual(new Set(['UNAUTHENTICATED', 'TOO_MANY_REQUESTS']));
    for (const answer of answers) {
      expect(answer.body.data ?? null).toBeNull();
      expect(answer.body.errors).toHaveLength(1);
      if (codeOf(answer) === 'UNAUTHENTICATED') {
        // A wrong password, or past ten of them from this address the guessing throttle: for either email alike.
        expect(['Email or password is wrong.', 'Too many failed sign-ins; try again in a few minutes.']).toContain(answer.body.errors![0]!.message);
        continue;
      }
      expect(answer.status).toBe(429);
      const retryAfterSeconds = answer.body.errors![0]!.extensions?.retryAfterSeconds;
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(answer.retryAfter).toBe(String(retryAfterSeconds));
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', serviceName: 'center' });
    }
    // Counted as one client despite the forged addresses: at most its allowance of 30 got past the per-client limit.
    const overAllowance = answers.filter((answer) => /from this address/.test(answer.body.errors![0]!.message));
    expect(overAllowance.length).toBeGreaterThanOrEqual(25);

    // Whether the email has an account changes nothing a client can see.
    const shapes = (known: boolean) => new Set(answers.filter((_, index) => attempts[index]!.known === known).map(refusalShapeOf));
    expect(shapes(true)).toEqual(shapes(false));

    // And while the client is over its allowance, a right password changes nothing either. (The flood took long
    // enough to earn a few attempts back: those are spent first.)
    for (let spent = 0; spent < 30; spent++) {
      const answer = await login(stack.gatewayUrl, `nobody-${randomUUID()}@hospital-1.demo`, WRONG_PASSWORD);
      if (/from this address/.test(answer.body.errors![0]!.message)) break;
    }
    const [right, unknown] = await Promise.all([
      login(stack.gatewayUrl, 'admin@hospital-1.demo', demo.DEMO_PASSWORD),
      login(stack.gatewayUrl, `nobody-${randomUUID()}@hospital-1.demo`, demo.DEMO_PASSWORD),
    ]);
    expect(codeOf(right)).toBe('TOO_MANY_REQUESTS');
    expect(shapeOf(right)).toBe(shapeOf(unknown));
  }, 120_000);

  it("lets an account's owner sign in from one address while another address that guessed its password ten times is kept out", async () => {
    const email = 'coordinator@hospital-1.demo';
    const guesser = { 'x-forwarded-for': '198.51.100.66' };
    const owner = { 'x-forwarded-for': '192.0.2.10' };
    for (let guess = 0; guess < 10; guess++) {
      const answer = await login(behindProxy.url, email, `${WRONG_PASSWORD}-${guess}`, guesser);
      expect(answer.body.errors?.[0]?.message, `guess ${guess + 1}`).toBe('Email or password is wrong.');
    }
    const eleventh = await login(behindProxy.url, email, demo.DEMO_PASSWORD, guesser);
    expect(eleventh.body.errors?.[0]?.message).toBe('Too many failed sign-ins; try again in a few minutes.');

    const signedIn = await login(behindProxy.url, email, demo.DEMO_PASSWORD, owner);
    expect(signedIn.body.errors).toBeUndefined();
    expect(signedIn.body.data?.login.accessToken).toEqual(expect.any(String));
  }, 120_000);
});
