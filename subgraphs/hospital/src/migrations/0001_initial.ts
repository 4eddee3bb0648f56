import {
  CancellationPartyEnum,
  CancellationReasonEnum,
  enumValues,
  FacilityTypeEnum,
  TransportLevelEnum,
  TransportPriorityEnum,
  TransportStatusEnum,
} from '@medport/domain';
import { sql, type Kysely } from 'kysely';
import { oneOf } from '@medport/database';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('facilities')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('hospital_id', 'uuid', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull().check(oneOf('type', enumValues(FacilityTypeEnum))))
    .addColumn('address_line', 'text', (col) => col.notNull())
    .addColumn('city', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('postal_code', 'text', (col) => col.notNull())
    .addColumn('latitude', 'double precision', (col) => col.notNull())
    .addColumn('longitude', 'double precision', (col) => col.notNull())
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('operating_hours', 'text')
    .addColumn('capabilities', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('facilities_hospital_name_idx').on('facilities').columns(['hospital_id', 'name', 'id']).execute();
  await db.schema.createIndex('facilities_name_idx').on('facilities').columns(['name', 'id']).execute();

  await db.schema
    .createTable('transport_requests')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('hospital_id', 'uuid', (col) => col.notNull())
    .addColumn('patient_reference', 'text', (col) => col.notNull())
    .addColumn('origin_facility_id', 'uuid', (col) => col.notNull().references('facilities.id'))
    .addColumn('destination_facility_id', 'uuid', (col) => col.notNull().references('facilities.id'))
    .addColumn('transport_level', 'text', (col) => col.notNull().check(oneOf('transport_level', enumValues(TransportLevelEnum))))
    .addColumn('priority', 'text', (col) => col.notNull().check(oneOf('priority', enumValues(TransportPriorityEnum))))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(TransportStatusEnum))))
    .addColumn('special_requirements', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('notes', 'text')
    .addColumn('scheduled_pickup_at', 'timestamptz')
    .addColumn('requested_at', 'timestamptz', (col) => col.notNull())
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('assigned_at', 'timestamptz')
    .addColumn('en_route_at', 'timestamptz')
    .addColumn('at_pickup_at', 'timestamptz')
    .addColumn('picked_up_at', 'timestamptz')
    .addColumn('at_destination_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('expired_at', 'timestamptz')
    .addColumn('assigned_agency_id', 'uuid')
    .addColumn('assigned_unit_id', 'uuid')
    .addColumn('created_by_id', 'uuid')
    .addColumn('cancellation_reason', 'text', (col) => col.check(oneOf('cancellation_reason', enumValues(CancellationReasonEnum))))
    .addColumn('cancellation_party', 'text', (col) => col.check(oneOf('cancellation_party', enumValues(CancellationPartyEnum))))
    .addColumn('cancellation_notes', 'text')
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('transport_requests_distinct_facilities', sql`origin_facility_id <> destination_facility_id`)
    .execute();
  // The lists clients page through: newest first, optionally narrowed by hospital, status or agency.
  await db.schema.createIndex('transport_requests_recent_idx').on('transport_requests').expression(sql`requested_at desc, id desc`).execute();
  await db.schema
    .createIndex('transport_requests_hospital_status_time_idx')
    .on('transport_requests')
    .expression(sql`hospital_id, status, requested_at desc, id desc`)
    .execute();
  await db.schema
    .createIndex('transport_requests_hospital_time_idx')
    .on('transport_requests')
    .expression(sql`hospital_id, requested_at desc, id desc`)
    .execute();
  await db.schema
    .createIndex('transport_requests_status_time_idx')
    .on('transport_requests')
    .expression(sql`status, requested_at desc, id desc`)
    .execute();
  await db.schema
    .createIndex('transport_requests_agency_status_idx')
    .on('transport_requests')
    .columns(['assigned_agency_id', 'status'])
    .where(sql.ref('assigned_agency_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('trip_history')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('transport_request_id', 'uuid', (col) => col.notNull().references('transport_requests.id'))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(TransportStatusEnum))))
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull())
    .addColumn('notes', 'text')
    .addColumn('updated_by_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('trip_history_trip_idx').on('trip_history').columns(['transport_request_id', 'occurred_at']).execute();

  await db.schema
    .createTable('agency_preferences')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('hospital_id', 'uuid', (col) => col.notNull())
    .addColumn('agency_id', 'uuid', (col) => col.notNull())
    .addColumn('preference_order', 'integer', (col) => col.notNull().check(sql`preference_order > 0`))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('notes', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('agency_preferences_hospital_agency_key', ['hospital_id', 'agency_id'])
    .execute();
  await db.schema
    .createIndex('agency_preferences_order_idx')
    .on('agency_preferences')
    .columns(['hospital_id', 'preference_order'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['agency_preferences', 'trip_history', 'transport_requests', 'facilities']) {
    await db.schema.dropTable(table).execute();
  }
}
