import { createRevokedAccessTable, dropRevokedAccessTable } from '@medport/server';
import type { Kysely } from 'kysely';

/** Access tokens revoked before they expire, so that this silo refuses them within seconds of the revocation. */
export async function up(db: Kysely<any>): Promise<void> {
  await createRevokedAccessTable(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropRevokedAccessTable(db);
}
