import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateSigningKey, JWKS_PATH, TOKEN_ALGORITHM, type JWK, type JWTVerifyGetKey, type SigningKey } from '@medport/auth';
import { inTransaction, jsonText, type Executor, type JsonValue } from '@medport/database';
import { errors, importJWK } from 'jose';
import type { Kysely } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import {
  findNewestActiveSigningKey,
  findPublishedSigningKey,
  insertSigningKey,
  listPublishedSigningKeys,
  retireActiveSigningKeys,
} from './auth.repository.js';
import type { SigningKeyRow } from './auth.table.js';

/** Access tokens live 15 minutes: short enough that a stolen one is soon useless, long enough to rarely refresh. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/**
 * A retired key stays published this long: every token it signed has expired by then, with five minutes to spare
 * for clocks that drift and verifiers that cached the JWKS a little late.
 */
export const RETIRED_KEY_GRACE_SECONDS = ACCESS_TOKEN_TTL_SECONDS + 5 * 60;
/** How long a replica trusts a public key it has found without asking the database again. */
const FOUND_KEY_CACHE_MS = 60_000;
// Real kids are UUIDs; a header naming something much longer is not worth a query.
const MAX_KID_LENGTH = 200;
const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

function jwkOf(value: JsonValue): JWK {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('A stored JWK is not a JSON object.');
  return value as JWK;
}

/** A JWK without any private member, whatever the row holds: publishing a private key must be impossible. */
function publicJwkOf(value: JsonValue): JWK {
  return Object.fromEntries(Object.entries(jwkOf(value)).filter(([member]) => !PRIVATE_JWK_MEMBERS.has(member))) as JWK;
}

const jwkText = (jwk: JWK) => jsonText(jwk as JsonValue);

async function newSigningKeyRow() {
  const key = await generateSigningKey();
  return { kid: key.kid, private_jwk: jwkText(key.privateJwk), public_jwk: jwkText(key.publicJwk) };
}

/**
 * The key that signs now: the newest one not retired, created on first need. Two replicas racing to create the
 * first key may both succeed; that is harmless, since both are published and the newest signs.
 */
export async function activeSigningKey(db: Executor<CenterDatabase>): Promise<SigningKey> {
  const row = (await findNewestActiveSigningKey(db)) ?? (await insertSigningKey(db, await newSigningKeyRow()));
  return { kid: row.kid, privateJwk: jwkOf(row.private_jwk), publicJwk: publicJwkOf(row.public_jwk) };
}

/** Retires every active key and creates the one that signs from now on, in one transaction. */
export async function rotateSigningKey(db: Executor<CenterDatabase>): Promise<SigningKeyRow> {
  // Key generation stays outside the transaction, which then only holds its locks for two statements.
  const row = await newSigningKeyRow();
  return inTransaction(db, async (trx) => {
    await retireActiveSigningKeys(trx);
    return insertSigningKey(trx, row);
  });
}

/** The JWKS: every key that may have signed a token still valid, and always the key that signs. */
export async function publishedJwks(db: Kysely<CenterDatabase>): Promise<{ keys: JWK[] }> {
  let rows = await listPublishedSigningKeys(db, RETIRED_KEY_GRACE_SECONDS);
  if (!rows.some((row) => row.retired_at === null)) {
    // Creating the signing key before the first sign-in lets verifiers cache a JWKS that already holds it.
    await activeSigningKey(db);
    rows = await listPublishedSigningKeys(db, RETIRED_KEY_GRACE_SECONDS);
  }
  return { keys: rows.map((row) => publicJwkOf(row.public_jwk)) };
}

/** `GET /.well-known/jwks.json`, which the gateway and the other silos verify tokens with. */
export function jwksRoute(db: Kysely<CenterDatabase>) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== JWKS_PATH) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const body = JSON.stringify(await publishedJwks(db));
    // A minute of caching keeps verifiers off this route, and still lets them see a rotation soon.
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * How the center verifies tokens: with the published keys in its own database. A found key is kept for a minute;
 * an unknown kid always goes to the database, so a key that another replica created or rotated in is seen at once.
 */
export function databaseTokenKeys(db: Kysely<CenterDatabase>): JWTVerifyGetKey {
  const found = new Map<string, { key: VerificationKey; until: number }>();
  return async ({ kid }) => {
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) throw new errors.JWKSNoMatchingKey();
    const now = Date.now();
    const cached = found.get(kid);
    if (cached && cached.until > now) return cached.key;
    const row = await findPublishedSigningKey(db, kid, RETIRED_KEY_GRACE_SECONDS);
    if (!row) {
      found.delete(kid);
      throw new errors.JWKSNoMatchingKey();
    }
    const key = await importJWK(publicJwkOf(row.public_jwk), TOKEN_ALGORITHM);
    for (const [other, entry] of found) if (entry.until <= now) found.delete(other);
    found.set(kid, { key, until: now + FOUND_KEY_CACHE_MS });
    return key;
  };
}
