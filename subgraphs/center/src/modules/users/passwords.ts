import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { loadPasswordHashingConfig } from '@medport/config';

/**
 * Password hashes as `scrypt$N$r$p$saltBase64$hashBase64`. The parameters travel with each hash, so they can be
 * raised later without invalidating the hashes already stored; the next sign-in with the right password rehashes a
 * password whose hash has other parameters than the current ones (`needsRehash`).
 *
 * OWASP's minimum for scrypt: 128 MiB of memory and, on one core here, about 0.4 s per hash.
 */
export const SCRYPT_PARAMETERS = { N: 2 ** 17, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 64;
/** 128·N·r bytes is what one hash takes; twice the current parameters' is the most a stored hash may ask for. */
const MAX_SCRYPT_MEMORY_BYTES = 256 * 1024 * 1024;

export interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

let current: ScryptParameters | undefined;

/**
 * The parameters new hashes get: SCRYPT_PARAMETERS, with N lowered only where PASSWORD_HASH_COST says so (test
 * suites, never production; see `loadPasswordHashingConfig`). Read from the environment once.
 */
export function currentScryptParameters(): ScryptParameters {
  current ??= { ...SCRYPT_PARAMETERS, N: 2 ** loadPasswordHashingConfig().cost };
  return current;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function deriveKey(password: string, salt: Buffer, keyLength: number, parameters: ScryptParameters): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (128 MiB now), far above Node's 32 MiB default; twice that covers its small buffers too.
  const options: ScryptOptions = { ...parameters, maxmem: 256 * parameters.N * parameters.r };
  // NFC: the same password typed on different keyboards (composed or decomposed accents) hashes the same.
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, parameters: ScryptParameters = currentScryptParameters()): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, parameters);
  const { N, r, p } = parameters;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const [salt, key] = parts.slice(4) as [string, string];
  // Bounds keep a tampered row from making one sign-in allocate gigabytes.
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 20 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return null;
  if (128 * N * r > MAX_SCRYPT_MEMORY_BYTES) return null;
  if (!BASE64.test(salt) || !BASE64.test(key)) return null;
  return { N, r, p, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

/**
 * Whether `password` matches a stored hash. A stored value that is not a hash of ours never matches, which is
 * also how an account is given no usable password (store a marker such as `!`).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.key.length === 0) return false;
  const candidate = await deriveKey(password, parsed.salt, parsed.key.length, parsed);
  // Constant-time comparison: how long a mismatch takes must not tell how much of the hash matched.
  return timingSafeEqual(candidate, parsed.key);
}

/** Whether a stored value is a hash of ours that a password can match (not a marker such as `!`). */
export function isPasswordHash(stored: string): boolean {
  return (parseHash(stored)?.key.length ?? 0) > 0;
}

/**
 * Whether a hash of ours was written with other parameters (or salt or key sizes) than new hashes get now, so that
 * the password, once known to be right, is to be hashed again.
 */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed || parsed.key.length === 0) return false;
  const { N, r, p } = currentScryptParameters();
  return parsed.N !== N || parsed.r !== r || parsed.p !== p || parsed.salt.length !== SALT_BYTES || parsed.key.length !== KEY_BYTES;
}
