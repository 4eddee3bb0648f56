import { createTrustedSigningKeysTable, dropTrustedSigningKeysTable } from '@medport/server';
import type { Kysely } from 'kysely';

/** The center's public keys as this silo last read them, so it checks tokens after a restart while the center is down. */
export async function up(db: Kysely<any>): Promise<void> {
  await createTrustedSigningKeysTable(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTrustedSigningKeysTable(db);
}
