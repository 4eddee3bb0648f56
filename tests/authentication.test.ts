import { createHmac } from 'node:crypto';
import { generateSigningKey, signAccessToken, type JWK } from '@medport/auth';
import { demo } from '@medport/domain';
import { errorCodes, postGraphQL } from '@medport/testing';
import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
let centerKey: { kid: string; privateJwk: JWK; publicJwk: JWK };
const admin = demo.buildDemoNetwork().users.find((user) => user.email === 'admin@center.demo')!;

beforeAll(async () => {
  stack = await startStack();
  await stack.tokenFor('admin@center.demo'); // makes sure the center has created its signing key
  const row = await (stack.subgraphs.center.database.db as any)
    .selectFrom('signing_keys')
    .select(['kid', 'private_jwk', 'public_jwk'])
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  centerKey = { kid: row.kid, privateJwk: row.private_jwk, publicJwk: row.public_jwk };
});

afterAll(async () => {
  await stack?.stop();
});

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the center's real key, with any claim or header changed. */
async function forge(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const jwt = new SignJWT({ role: admin.role, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: centerKey.kid, typ: 'at+jwt', ...header })
    .setSubject(admin.id)
    .setIssuedAt(now() - 10);
  if (!('iss' in claims)) jwt.setIssuer('medport');
  if (!('aud' in claims)) jwt.setAudience('medport-api');
  if (!('exp' in claims)) jwt.setExpirationTime(now() + 600);
  return jwt.sign(await importJWK(centerKey.privateJwk, 'ES256'));
}

async function badTokens(): Promise<[string, string][]> {
  const valid = await forge();
  const [head, payload, signature] = valid.split('.');
  const tamperedPayload = base64url({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), role: 'CENTER_ADMIN', sub: demo.buildDemoNetwork().users[5]!.id });
  const hsHeader = base64url({ alg: 'HS256', kid: centerKey.kid, typ: 'at+jwt' });
  const hsBody = base64url({ sub: admin.id, role: admin.role, iss: 'medport', aud: 'medport-api', iat: now(), exp: now() + 600 });
  const hsSignature = createHmac('sha256', JSON.stringify(centerKey.publicJwk)).update(`${hsHeader}.${hsBody}`).digest('base64url');
  const stranger = await generateSigningKey();
  return [
    ['expired', await forge({ exp: now() - 120 })],
    ['not yet valid', await forge({ nbf: now() + 600 })],
    ['wrong issuer', await forge({ iss: 'someone-else' })],
    ['wrong audience', await forge({ aud: 'another-api' })],
    ['alg none', `${base64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`],
    ['HS256 signed with the public key', `${hsHeader}.${hsBody}.${hsSignature}`],
    ['unknown kid', await forge({}, { kid: 'f0f0f0f0-0000-4000-8000-000000000000' })],
    ['signed by a key the center does not know', await signAccessToken({ ...stranger, kid: centerKey.kid }, { userId: admin.id, role: admin.role, hospitalId: null, agencyId: null }, { issuer: 'medport', audience: 'medport-api', ttlSeconds: 600 })],
    ['tampered payload', `${head}.${tamperedPayload}.${signature}`],
    ['garbage', 'not-a-token'],
  ];
}

const QUERIES = {
  hospital: '{ transportRequests(first: 1) { nodes { id patientReference } } }',
  ems: '{ agencies(first: 1) { nodes { id } } }',
  center: '{ users(first: 1) { nodes { id email } } }',
} as const;

describe('access tokens', () => {
  it('lets a signed-in account through the gateway and every subgraph', async () => {
    const headers = await stack.as();
    expect((await postGraphQL(stack.gatewayUrl, QUERIES.hospital, {}, headers)).errors).toBeUndefined();
    for (const silo of ['hospital', 'ems', 'center'] as const) {
      expect((await postGraphQL(stack.subgraphs[silo].url, QUERIES[silo], {}, headers)).errors).toBeUndefined();
    }
  });

  it('rejects every malformed, forged or expired token at the gateway before any subgraph is called', async () => {
    for (const [name, token] of await badTokens()) {
      for (const log of Object.values(stack.statements)) log.clear();
      const response = await postGraphQL(stack.gatewayUrl, QUERIES.hospital, {}, { authorization: `Bearer ${token}` });
      expect(response.status, name).toBe(401);
      expect(errorCodes(response), name).toEqual(['UNAUTHENTICATED']);
      expect(response.data ?? null, name).toBeNull();
      expect(stack.statements.hospital.statements, name).toEqual([]);
    }
  });

  it('rejects every malformed, forged or expired token at each subgraph called directly', async () => {
    for (const [name, token] of await badTokens()) {
      for (const silo of ['hospital', 'ems', 'center'] as const) {
        const response = await postGraphQL(stack.subgraphs[silo].url, QUERIES[silo], {}, { authorization: `Bearer ${token}` });
        expect(errorCodes(response), `${name} at ${silo}`).toEqual(['UNAUTHENTICATED']);
        expect(response.data ?? null, `${name} at ${silo}`).toBeNull();
      }
    }
  });

  it('refuses even the schema of a subgraph to an anonymous caller', async () => {
    for (const silo of ['hospital', 'ems', 'center'] as const) {
      expect(errorCodes(await postGraphQL(stack.subgraphs[silo].url, '{ _service { sdl } }')), silo).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses anonymous reads, entity lookups included, however identity headers are spoofed', async () => {
    const spoofed = { 'x-user-id': admin.id, 'x-user-role': 'CENTER_ADMIN', 'x-hospital-id': demo.buildDemoNetwork().hospitals[0]!.id };
    expect(errorCodes(await postGraphQL(stack.gatewayUrl, QUERIES.hospital, {}, spoofed))).toEqual(['UNAUTHENTICATED']);
    for (const silo of ['hospital', 'ems', 'center'] as const) {
      expect(errorCodes(await postGraphQL(stack.subgraphs[silo].url, QUERIES[silo], {}, spoofed)), silo).toEqual(['UNAUTHENTICATED']);
    }
    const trip = demo.buildDemoNetwork().trips[0]!;
    const entities = await postGraphQL(
      stack.subgraphs.hospital.url,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on TransportRequest { patientReference } } }`,
      { r: [{ __typename: 'TransportRequest', id: trip.id }] },
    );
    expect(errorCodes(entities)).toEqual(['UNAUTHENTICATED']);
    const hidden = await postGraphQL(
      stack.subgraphs.hospital.url,
      `query Sneaky { __typename ...Rest } fragment Rest on Query { transportRequests(first: 1) { nodes { patientReference } } }`,
    );
    expect(errorCodes(hidden)).toEqual(['UNAUTHENTICATED']);
  });

  it('still lets a client with an expired access token sign in again and refresh its session', async () => {
    const expired = { authorization: `Bearer ${await forge({ exp: now() - 3600 })}` };
    const login = `mutation { login(email: "coordinator@hospital-1.demo", password: "${demo.DEMO_PASSWORD}") { accessToken refreshToken } }`;
    const signedIn: any = await postGraphQL(stack.gatewayUrl, login, {}, expired);
    expect(signedIn.errors).toBeUndefined();
    const refreshed: any = await postGraphQL(
      stack.gatewayUrl,
      `mutation($token: String!) { refreshToken(refreshToken: $token) { accessToken } }`,
      { token: signedIn.data.login.refreshToken },
      expired,
    );
    expect(refreshed.errors).toBeUndefined();
    // Anything beyond the public fields still fails, and says why.
    const read = await postGraphQL(stack.gatewayUrl, QUERIES.hospital, {}, expired);
    expect(errorCodes(read)).toEqual(['UNAUTHENTICATED']);
    expect(read.errors?.[0]?.message).toMatch(/expired/);
  });

  it('answers a refused sign-in through the gateway with the center\'s own error, and nothing of its internals', async () => {
    const response = await postGraphQL(stack.gatewayUrl, `mutation { login(email: "admin@center.demo", password: "wrong-password") { accessToken } }`);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.message).toBe('Email or password is wrong.');
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', serviceName: 'center' });
    const text = JSON.stringify(response);
    expect(text).not.toContain(stack.subgraphs.center.url);
    expect(text).not.toContain('"response"');
  });

  it('rejects an Authorization header that is not a bearer token', async () => {
    const response = await postGraphQL(stack.gatewayUrl, QUERIES.hospital, {}, { authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});
