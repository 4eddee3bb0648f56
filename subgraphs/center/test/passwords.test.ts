import { randomBytes, scryptSync } from 'node:crypto';
import { ConfigError, loadPasswordHashingConfig } from '@medport/config';
import { describe, expect, it } from 'vitest';
import { currentScryptParameters, hashPassword, needsRehash, SCRYPT_PARAMETERS, verifyPassword } from '../src/modules/users/passwords.js';

/** A hash as the center wrote them before OWASP's current minimum was adopted (N = 16384). */
function hashWithOldParameters(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

describe('password hashes', () => {
  it("uses OWASP's minimum for scrypt unless told otherwise: N=2^17, r=8, p=1", () => {
    expect(SCRYPT_PARAMETERS).toEqual({ N: 131072, r: 8, p: 1 });
    expect(loadPasswordHashingConfig({}).cost).toBe(17);
    expect(loadPasswordHashingConfig({ NODE_ENV: 'production' }).cost).toBe(17);
  });

  it('refuses a lower cost in production, where only the test suite would want one', () => {
    expect(() => loadPasswordHashingConfig({ NODE_ENV: 'production', PASSWORD_HASH_COST: '10' })).toThrow(ConfigError);
    expect(() => loadPasswordHashingConfig({ NODE_ENV: 'production', PASSWORD_HASH_COST: '10' })).toThrow(/PASSWORD_HASH_COST: at least 17 in production/);
    expect(loadPasswordHashingConfig({ PASSWORD_HASH_COST: '10' }).cost).toBe(10);
    expect(() => loadPasswordHashingConfig({ PASSWORD_HASH_COST: '9' })).toThrow(ConfigError);
    expect(() => loadPasswordHashingConfig({ PASSWORD_HASH_COST: '19' })).toThrow(ConfigError);
  });

  it('writes scrypt$N$r$p$salt$hash with N=131072, r=8, p=1, a 16-byte salt and a 64-byte key, within the memory it needs (128 MiB)', async () => {
    const hash = await hashPassword('correct horse battery staple', SCRYPT_PARAMETERS);
    const [scheme, N, r, p, salt, key] = hash.split('$');
    expect([scheme, N, r, p]).toEqual(['scrypt', '131072', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64')).toHaveLength(64);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
  });

  it('writes new hashes with the current parameters (the test suite lowers N with PASSWORD_HASH_COST)', async () => {
    expect(currentScryptParameters()).toEqual({ N: 2 ** Number(process.env.PASSWORD_HASH_COST ?? 17), r: 8, p: 1 });
    const [, N, r, p] = (await hashPassword('correct horse battery staple')).split('$');
    expect([N, r, p].map(Number)).toEqual([currentScryptParameters().N, 8, 1]);
  });

  it('asks for a rehash of hashes with other parameters than the current ones, and of nothing else', async () => {
    expect(needsRehash(hashWithOldParameters('older parameters'))).toBe(true);
    expect(needsRehash(await hashPassword('current parameters'))).toBe(false);
    for (const marker of ['', '!', 'plain text']) expect(needsRehash(marker), marker).toBe(false);
  });

  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash, so one password never hashes the same twice', async () => {
    expect(await hashPassword('same password twice')).not.toBe(await hashPassword('same password twice'));
  });

  it('verifies hashes written with other scrypt parameters, which travel with the hash', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('older parameters', salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('older parameters', stored)).toBe(true);
    expect(await verifyPassword('other password', stored)).toBe(false);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const hash = await hashPassword('caf\u00e9 au lait please');
    expect(await verifyPassword('cafe\u0301 au lait please', hash)).toBe(true);
  });

  it('never matches a stored value that is not one of its hashes', async () => {
    const salt = randomBytes(16).toString('base64');
    const key = randomBytes(64).toString('base64');
    for (const stored of ['', '!', 'plain text', `bcrypt$16384$8$1$${salt}$${key}`, `scrypt$16384$8$1$${salt}`, `scrypt$1000$8$1$${salt}$${key}`, `scrypt$${2 ** 24}$8$1$${salt}$${key}`, `scrypt$${2 ** 20}$8$1$${salt}$${key}`, `scrypt$16384$8$1$${salt}$not*base64`]) {
      expect(await verifyPassword('anything at all', stored)).toBe(false);
    }
  });
});
