import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, generateSigningKey, remoteKeys, signAccessToken, type KeyStore, type SigningKey, type StoredKeys } from '../src/index.js';

/** A stand-in for the center's JWKS endpoint whose published keys and availability a test controls. */
let published: SigningKey[] = [];
let up = true;
let server: Server;
let jwksUrl: string;
/** Another silo's copy of the keys, as it publishes it when the center is down. */
let relayed: { keys: SigningKey[]; readAt: Date } | null = null;
const relayUrl = () => new URL('/relay', jwksUrl).toString();

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/relay') {
      if (!relayed) return response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' });
      return response.end(JSON.stringify({ keys: relayed.keys.map((key) => key.publicJwk), read_at: relayed.readAt.toISOString() }));
    }
    if (!up) return response.writeHead(503).end();
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const viewer = { userId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', role: 'CENTER_STAFF' as const, hospitalId: null, agencyId: null };
const tokenOf = (key: SigningKey) => signAccessToken(key, viewer, { issuer: 'medport', audience: 'medport-api', ttlSeconds: 600 });
const verifierOf = (options: Parameters<typeof remoteKeys>[1]) =>
  createTokenVerifier({ keys: remoteKeys(jwksUrl, options), issuer: 'medport', audience: 'medport-api' });
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'OK', (error) => (error instanceof GraphQLError ? error.extensions.code : error));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the center keys a silo verifies tokens with', () => {
  it('accepts a key the center has just started publishing, without waiting for the next refresh', async () => {
    const [first, second] = [await generateSigningKey(), await generateSigningKey()];
    up = true;
    published = [first];
    const verifier = verifierOf({ unknownKeyCooldownMs: 0 });
    expect(await codeOf(verifier.verify(await tokenOf(first)))).toBe('OK');
    published = [first, second];
    expect(await codeOf(verifier.verify(await tokenOf(second)))).toBe('OK');
  });

  it('keeps checking tokens with the keys it has while the center cannot be reached', async () => {
    const key = await generateSigningKey();
    up = true;
    published = [key];
    const verifier = verifierOf({ refreshIntervalMs: 20 });
    expect(await codeOf(verifier.verify(await tokenOf(key)))).toBe('OK');
    up = false;
    await pause(40);
    expect(await codeOf(verifier.verify(await tokenOf(key)))).toBe('OK');
  });

  it('stops trusting a key once the center no longer publishes it', async () => {
    const [retired, current] = [await generateSigningKey(), await generateSigningKey()];
    up = true;
    published = [retired, current];
    const verifier = verifierOf({ refreshIntervalMs: 20 });
    expect(await codeOf(verifier.verify(await tokenOf(retired)))).toBe('OK');
    published = [current];
    await pause(40);
    expect(await codeOf(verifier.verify(await tokenOf(retired)))).toBe('UNAUTHENTICATED');
    expect(await codeOf(verifier.verify(await tokenOf(current)))).toBe('OK');
  });

  it('answers SERVICE_UNAVAILABLE, not a wrong verdict, when it has never been able to read the keys', async () => {
    up = false;
    const verifier = verifierOf({});
    expect(await codeOf(verifier.verify(await tokenOf(await generateSigningKey())))).toBe('SERVICE_UNAVAILABLE');
  });
});

/** A store held in memory, standing in for a silo's table of trusted keys. */
function memoryStore(initial: StoredKeys | null = null): KeyStore & { saved: StoredKeys | null } {
  return {
    saved: initial,
    async load() {
      return this.saved;
    },
    async save(keys) {
      this.saved = keys;
    },
  };
}
const storedCopyOf = (keys: SigningKey[], ageMs: number): StoredKeys => ({ jwks: { keys: keys.map((key) => key.publicJwk) }, readAt: new Date(Date.now() - ageMs) });
const HOUR = 3_600_000;

describe('the last keys a silo knew, when the center is down', () => {
  it('keeps a copy of every read from the center in its store', async () => {
    const key = await generateSigningKey();
    up = true;
    published = [key];
    const store = memoryStore();
    const verifier = createTokenVerifier({ keys: remoteKeys(jwksUrl, { store }), issuer: 'medport', audience: 'medport-api' });
    expect(await codeOf(verifier.verify(await tokenOf(key)))).toBe('OK');
    expect(store.saved?.jwks.keys.map((jwk) => jwk.kid)).toEqual([key.kid]);
    expect(Date.now() - store.saved!.readAt.getTime()).toBeLessThan(5_000);
  });

  it('starts with the stored keys when the center cannot be reached', async () => {
    const key = await generateSigningKey();
    up = false;
    relayed = null;
    const verifier = createTokenVerifier({ keys: remoteKeys(jwksUrl, { store: memoryStore(storedCopyOf([key], HOUR)) }), issuer: 'medport', audience: 'medport-api' });
    expect(await codeOf(verifier.verify(await tokenOf(key)))).toBe('OK');
  });

  it('refuses with SERVICE_UNAVAILABLE once the keys it holds are older than it may trust them', async () => {
    const key = await generateSigningKey();
    up = false;
    relayed = null;
    const keys = remoteKeys(jwksUrl, { store: memoryStore(storedCopyOf([key], 3 * HOUR)), maxKeyAgeMs: 2 * HOUR });
    const verifier = createTokenVerifier({ keys, issuer: 'medport', audience: 'medport-api' });
    expect(await codeOf(verifier.verify(await tokenOf(key)))).toBe('SERVICE_UNAVAILABLE');
  });

  it('learns the keys from another silo\'s copy, trusted as long as that copy\'s read from the center allows', async () => {
    const key = await generateSigningKey();
    up = false;
    relayed = { keys: [key], readAt: new Date(Date.now() - HOUR) };
    const fresh = createTokenVerifier({ keys: remoteKeys(jwksUrl, { relays: [relayUrl()], maxKeyAgeMs: 2 * HOUR }), issuer: 'medport', audience: 'medport-api' });
    expect(await codeOf(fresh.verify(await tokenOf(key)))).toBe('OK');
    relayed = { keys: [key], readAt: new Date(Date.now() - 3 * HOUR) };
    const tooOld = createTokenVerifier({ keys: remoteKeys(jwksUrl, { relays: [relayUrl()], maxKeyAgeMs: 2 * HOUR }), issuer: 'medport', audience: 'medport-api' });
    expect(await codeOf(tooOld.verify(await tokenOf(key)))).toBe('SERVICE_UNAVAILABLE');
    relayed = null;
  });
});
