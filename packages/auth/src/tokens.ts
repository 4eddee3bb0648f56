import { randomUUID } from 'node:crypto';
import { isEnumValue, UserRoleEnum } from '@medport/domain';
import { GraphQLError } from 'graphql';
import { createLocalJWKSet, errors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Viewer } from './viewer.js';

/** Root fields an anonymous caller may use: signing in, refreshing a session, signing out. */
export const PUBLIC_ROOT_FIELDS = ['login', 'refreshToken', 'logout'] as const;

/** The only algorithm MedPort signs with or accepts: ECDSA P-256 (asymmetric, so verifiers hold no secret). */
export const TOKEN_ALGORITHM = 'ES256';
export const DEFAULT_ISSUER = 'medport';
export const DEFAULT_AUDIENCE = 'medport-api';
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
export async function signAccessToken(key: SigningKey, viewer: Viewer, options: AccessTokenOptions): Promise<string> {
  return new SignJWT({
    role: viewer.role,
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
  const verifySession = async (token: string): Promise<VerifiedSession> => {
      try {
        const { payload } = await jwtVerify(token, options.keys, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp', 'iat'],
          typ: 'at+jwt',
        });
        return { viewer: viewerOf(payload), expiresAt: new Date(payload.exp! * 1000) };
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
  /** The least time between two reads caused by tokens naming a key id not seen yet. */
  unknownKeyCooldownMs?: number;
  timeoutMs?: number;
}

/**
 * The center's published keys, fetched over HTTP and kept in memory. They are read again every few minutes, so a
 * key the center retires stops being trusted; a token naming a key id not seen yet triggers a read at once (a
 * rotation on the center is picked up without delay); and when the center cannot be reached, the last keys read
 * stay in use, so a center that is down does not stop the other silos from checking tokens.
 */
export function remoteKeys(jwksUrl: string, options: RemoteKeysOptions = {}): JWTVerifyGetKey {
  const refreshIntervalMs = options.refreshIntervalMs ?? 5 * 60_000;
  const unknownKeyCooldownMs = options.unknownKeyCooldownMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  let keys: ReturnType<typeof createLocalJWKSet> | null = null;
  let readAt = 0;
  let reading: Promise<void> | null = null;

  const read = () =>
    (reading ??= (async () => {
      try {
        const response = await fetch(jwksUrl, { signal: AbortSignal.timeout(timeoutMs) });
        if (!response.ok) throw new Error(`${jwksUrl} answered HTTP ${response.status}`);
        keys = createLocalJWKSet((await response.json()) as JSONWebKeySet);
        readAt = Date.now();
      } finally {
        reading = null;
      }
    })());

  return async (header, token) => {
    if (!keys || Date.now() - readAt > refreshIntervalMs) {
      try {
        await read();
      } catch (error) {
        // Stale keys beat no keys: a center that is down must not take the other silos down with it.
        if (!keys) {
          throw new GraphQLError('Access tokens cannot be checked right now; try again shortly.', {
            extensions: { code: 'SERVICE_UNAVAILABLE' },
            originalError: error instanceof Error ? error : undefined,
          });
        }
      }
    }
    try {
      return await keys!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - readAt < unknownKeyCooldownMs) throw error;
      await read().catch(() => {});
      return keys!(header, token);
    }
  };
}
