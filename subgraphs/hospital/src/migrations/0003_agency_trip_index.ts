import { sql, type Kysely } from 'kysely';

/**
 * EMS users list the trips assigned to their agency, newest first (their TripScope is part of every statement):
 * this index serves that list the way the hospital and status indexes serve the others.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('transport_requests_agency_time_idx')
    .on('transport_requests')
    .expression(sql`assigned_agency_id, requested_at desc, id desc`)
    .where(sql.ref('assigned_agency_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('transport_requests_agency_time_idx').execute();
}
