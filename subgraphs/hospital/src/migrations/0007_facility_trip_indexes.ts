import { sql, type Kysely } from 'kysely';

/**
 * `Facility.trips` lists the trips that start or end at a facility, newest first: these two indexes find them from
 * either end, the way transport_requests_agency_time_idx serves `Agency.trips`, instead of a scan of every trip.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('transport_requests_origin_time_idx')
    .on('transport_requests')
    .expression(sql`origin_facility_id, requested_at desc, id desc`)
    .execute();
  await db.schema
    .createIndex('transport_requests_destination_time_idx')
    .on('transport_requests')
    .expression(sql`destination_facility_id, requested_at desc, id desc`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('transport_requests_destination_time_idx').execute();
  await db.schema.dropIndex('transport_requests_origin_time_idx').execute();
}
