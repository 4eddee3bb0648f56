import { randomUUID } from 'node:crypto';
import { findRefusedText, isEnumValue, UserRoleEnum } from '@medport/domain';
import { GraphQLError } from 'graphql';
import { createLocalJWKSet, errors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Viewer } from './viewer.js';

/** Root fields an anonymous caller may use: signing in, refreshing a session, signing out. */
export const PUBLIC_ROOT_FIELDS = ['login', 'refreshToken', 'logout'] as const;

/** The only algorithm MedPort signs with or accepts: ECDSA P-256 (asymmetric, so verifiers hold no secret). */
export const TOKEN_ALGORITHM = 'ES256';
export const DEFAULT_ISSUER = 'medport';
export const DEFAULT_AUDIENCE = 'medport-api';
/** Where the center publishes its public keys, and every other silo its copy of them. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** Clocks of the services may drift a little; tokens a few seconds early or late still count. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A new ES256 key pair, with a random key id that tokens name in their header. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: TOKEN_ALGORITHM };
  return { kid, privateJwk, publicJwk };
}

export interface AccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Signs a short-lived access token carrying the account, its role and its tenant. */
export async function signAccessToken(key: SigningKey, viewer: Viewer, options: AccessTokenOptions & { sessionId?: string }): Promise<string> {
  return new SignJWT({
    role: viewer.role,
    // The session the token belongs to, so that signing out ends its access tokens too (see TokenVerifierOptions).
    ...(options.sessionId ? { sid: options.sessionId } : {}),
    ...(viewer.hospitalId ? { hospital_id: viewer.hospitalId } : {}),
    ...(viewer.agencyId ? { agency_id: viewer.agencyId } : {}),
  })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(viewer.userId)
    .setJti(randomUUID())
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime(`${options.ttlSeconds}s`)
    .sign(await importJWK(key.privateJwk, TOKEN_ALGORITHM));
}

export function unauthenticated(message = 'A valid access token is required.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export interface TokenVerifier {
  /** The caller, or an UNAUTHENTICATED error for any token that is not exactly right. */
  verify(token: string): Promise<Viewer>;
  /** The caller and when its token expires, for connections that outlive a request (subscriptions). */
  verifySession(token: string): Promise<VerifiedSession>;
}

export interface VerifiedSession {
  viewer: Viewer;
  expiresAt: Date;
}

export interface TokenVerifierOptions {
  /** Finds the public key named by a token's `kid` (a JWKS fetched from the center, or the center's own keys). */
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /**
   * Whether a token was revoked before it expires (its account deactivated, its session ended): such a token is
   * refused like an expired one.
   */
  isRevoked?: (token: RevocableToken) => boolean;
}

/** What decides whether a token was revoked: its session (tokens issued before sessions were named have none). */
export interface RevocableToken {
  userId: string;
  sessionId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function viewerOf(payload: JWTPayload): Viewer {
  const { sub, role, hospital_id: hospitalId, agency_id: agencyId } = payload as JWTPayload & Record<string, unknown>;
  if (typeof sub !== 'string' || !UUID.test(sub)) throw unauthenticated('The access token names no account.');
  if (typeof role !== 'string' || !isEnumValue(UserRoleEnum, role)) throw unauthenticated('The access token carries no known role.');
  const tenant = (value: unknown) => (typeof value === 'string' && UUID.test(value) ? value : null);
  return { userId: sub, role, hospitalId: tenant(hospitalId), agencyId: tenant(agencyId) };
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  // A header is read before its signature is checked, and key lookups may query a database that cannot hold text
  // such as NUL: a token whose header holds refused text is simply not valid.
  const keys: JWTVerifyGetKey = (header, token) => {
    if (findRefusedText(header)) throw new errors.JWSInvalid('The token header holds text no key is named with.');
    return options.keys(header, token);
  };
  const verifySession = async (token: string): Promise<VerifiedSession> => {
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp', 'iat'],
          typ: 'at+jwt',
        });
        const viewer = viewerOf(payload);
        const sessionId = typeof payload.sid === 'string' ? payload.sid : null;
        if (options.isRevoked?.({ userId: viewer.userId, sessionId })) throw unauthenticated('The access token has been revoked.');
        return { viewer, expiresAt: new Date(payload.exp! * 1000) };
      } catch (error) {
        if (error instanceof GraphQLError) throw error;
        if (error instanceof errors.JWTExpired) throw unauthenticated('The access token has expired.');
        if (error instanceof errors.JOSEError) throw unauthenticated('The access token is not valid.');
        throw error;
      }
  };
  return {
    verifySession,
    verify: async (token) => (await verifySession(token)).viewer,
  };
}

/**
 * The token of an `Authorization: Bearer …` header: null when there is no header, an UNAUTHENTICATED error when
 * there is one of another shape (a malformed header is an attempt, not an anonymous call).
 */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim());
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>".');
  return match[1]!;
}

export interface RemoteKeysOptions {
  /** How often the published keys are read again, so a key the center stopped publishing stops being trusted. */
  refreshIntervalMs?: number;
  /** The least time between two reads caused by tokens naming a key id not seen yet, or after a failed read. */
  unknownKeyCooldownMs?: number;
  timeoutMs?: number;
  /**
   * Other services' copies of the center's keys (`GET /.well-known/jwks.json` of the other silos), read when the
   * center does not answer: a service that starts while the center is down learns the keys from a silo that knew them.
   */
  relays?: readonly string[];
  /** Where the last keys read are kept, so that a restart while the center is down still checks tokens. */
  store?: KeyStore;
  /**
   * How long keys last read from the center stay trusted while it cannot be reached. Past it, tokens are refused
   * with SERVICE_UNAVAILABLE: a key the center retired meanwhile must not be trusted for ever.
   */
  maxKeyAgeMs?: number;
}

/** Keys read from the center, and when: a copy's age is that of its read from the center, however it travelled. */
export interface StoredKeys {
  jwks: JSONWebKeySet;
  readAt: Date;
}

/** A durable copy of the last keys read (a silo keeps it in its database). */
export interface KeyStore {
  load(): Promise<StoredKeys | null>;
  save(keys: StoredKeys): Promise<void>;
}

/** Keys trusted for a day without the center, unless configured otherwise (`AUTH_KEYS_MAX_AGE_HOURS`). */
export const DEFAULT_MAX_KEY_AGE_MS = 24 * 3_600_000;

/** A relay's copy of the keys: the JWKS with the time its holder read it from the center (`read_at`). */
function relayedKeys(body: unknown): StoredKeys | null {
  const { keys, read_at: readAt } = (body ?? {}) as { keys?: unknown; read_at?: unknown };
  const at = typeof readAt === 'string' ? new Date(readAt) : null;
  if (!Array.isArray(keys) || !at || Number.isNaN(at.getTime())) return null;
  return { jwks: { keys: keys as JWK[] }, readAt: at };
}

const NO_KEYS_YET = 'Access tokens cannot be checked right now; try again shortly.';

function keysUnavailable(message: string, error?: unknown): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    originalError: error instanceof Error ? error : undefined,
  });
}

/**
 * The center's published keys, fetched over HTTP and kept in memory. They are read again every few minutes, so a
 * key the center retires stops being trusted; a token naming a key id not seen yet triggers a read at once (a
 * rotation on the center is picked up without delay). When the center cannot be reached, the last keys known stay
 * in use for up to `maxKeyAgeMs` after they were read from it: those in memory, else a relay's copy, else the
 * durable copy of `store`. So neither a center that is down nor a restart meanwhile stops the other silos.
 */
export function remoteKeys(jwksUrl: string, options: RemoteKeysOptions = {}): JWTVerifyGetKey {
  const refreshIntervalMs = options.refreshIntervalMs ?? 5 * 60_000;
  const cooldownMs = options.unknownKeyCooldownMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const maxKeyAgeMs = options.maxKeyAgeMs ?? DEFAULT_MAX_KEY_AGE_MS;
  let known: (StoredKeys & { find: ReturnType<typeof createLocalJWKSet> }) | null = null;
  let attemptedAt = 0;
  let failedAt = 0;
  let reading: Promise<void> | null = null;

  const adopt = (keys: StoredKeys) => {
    if (known && known.readAt >= keys.readAt) return false;
    known = { ...keys, find: createLocalJWKSet(keys.jwks) };
    return true;
  };
  const fetchJson = async (url: string) => {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
    return response.json();
  };
  const readRelays = async () => {
    for (const relay of options.relays ?? []) {
      const copy = relayedKeys(await fetchJson(relay).catch(() => null));
      if (copy && adopt(copy)) return;
    }
  };

  const read = () =>
    (reading ??= (async () => {
      attemptedAt = Date.now();
      try {
        const jwks = (await fetchJson(jwksUrl)) as JSONWebKeySet;
        const readAt = new Date();
        known = { jwks, readAt, find: createLocalJWKSet(jwks) };
        // The durable copy only serves a later start; failing to write it must not fail this request.
        await options.store?.save({ jwks, readAt }).catch(() => {});
      } catch (error) {
        failedAt = Date.now();
        await readRelays();
        if (!known && options.store) {
          const stored = await options.store.load().catch(() => null);
          if (stored) adopt(stored);
        }
        throw error;
      } finally {
        reading = null;
      }
    })());

  const usable = () => {
    if (!known) throw keysUnavailable(NO_KEYS_YET);
    if (Date.now() - known.readAt.getTime() > maxKeyAgeMs) {
      throw keysUnavailable('The signing keys this service holds are too old to trust and the center cannot be reached; try again shortly.');
    }
    return known;
  };

  return async (header, token) => {
    const due = !known || Date.now() - known.readAt.getTime() > refreshIntervalMs;
    // After a failed read the center is asked again only after the cooldown, so an outage does not add a timeout
    // to every request.
    if (due && (!known || Date.now() - failedAt > cooldownMs)) {
      // Stale keys beat no keys: a center that is down must not take the other silos down with it.
      await read().catch((error: unknown) => {
        if (!known) throw keysUnavailable(NO_KEYS_YET, error);
      });
    }
    try {
      return await usable().find(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - attemptedAt < cooldownMs) throw error;
      await read().catch(() => {});
      return usable().find(header, token);
    }
  };
}
