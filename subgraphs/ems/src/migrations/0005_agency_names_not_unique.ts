import { label } from '@medport/database';
import { sql, type Kysely } from 'kysely';

/**
 * Agency names stop being unique here. The center's service registry is where a registration's name is checked,
 * against the center's own registrations only: an ems agency renamed to a name the center then registers would
 * make that ServiceRegistered fail on this index for ever, and the agency never join the network. A name is not an
 * identifier anywhere (hospitals prefer agencies by id), and no statement looks an agency up by its name (the name
 * filter is a substring match an index on lower(name) cannot serve), so nothing replaces the index;
 * agencies_name_idx still orders the directory.
 *
 * Statements are written out: Kysely's index builders take no trailing label.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index agencies_name_key ${label('migration_0005.dropAgenciesNameKey')}`.execute(db);
}

/** Fails while two agencies share a name: going back means renaming one of them first. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`create unique index agencies_name_key on agencies (lower(name)) ${label('migration_0005.createAgenciesNameKey')}`.execute(db);
}
