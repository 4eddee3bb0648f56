import {
  enumValues,
  ResponseStatusEnum,
  ServiceStatusEnum,
  SpecialRequirementEnum,
  TransportLevelEnum,
  TransportPriorityEnum,
  TransportStatusEnum,
  UnitStatusEnum,
} from '@medport/domain';
import { sql, type Kysely } from 'kysely';
import { allOf, oneOf } from '@medport/database';

/** A CHECK expression limiting every element of a text[] column to the values of an enum. */
const HH_MM = sql.lit('^([01][0-9]|2[0-3]):[0-5][0-9]$');

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agencies')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('contact_name', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('address_line', 'text', (col) => col.notNull())
    .addColumn('city', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('postal_code', 'text', (col) => col.notNull())
    .addColumn('operating_hours', 'text')
    .addColumn('levels', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`).check(allOf('levels', enumValues(TransportLevelEnum))))
    .addColumn('equipment', sql`text[]`, (col) =>
      col.notNull().defaultTo(sql`'{}'`).check(allOf('equipment', enumValues(SpecialRequirementEnum))),
    )
    .addColumn('pricing', 'jsonb')
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(ServiceStatusEnum))))
    .addColumn('added_by_id', 'uuid')
    .addColumn('added_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // Hospitals pick agencies by name in their preferences: two agencies named alike would be a trap.
  await db.schema.createIndex('agencies_name_key').on('agencies').unique().expression(sql`lower(name)`).execute();
  await db.schema.createIndex('agencies_name_idx').on('agencies').columns(['name', 'id']).execute();

  await db.schema
    .createTable('units')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('agency_id', 'uuid', (col) => col.notNull().references('agencies.id'))
    .addColumn('unit_number', 'text', (col) => col.notNull())
    .addColumn('level', 'text', (col) => col.notNull().check(oneOf('level', enumValues(TransportLevelEnum))))
    .addColumn('capabilities', sql`text[]`, (col) =>
      col.notNull().defaultTo(sql`'{}'`).check(allOf('capabilities', enumValues(SpecialRequirementEnum))),
    )
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('AVAILABLE').check(oneOf('status', enumValues(UnitStatusEnum))))
    .addColumn('latitude', 'double precision', (col) => col.check(sql`latitude between -90 and 90`))
    .addColumn('longitude', 'double precision', (col) => col.check(sql`longitude between -180 and 180`))
    .addColumn('location_updated_at', 'timestamptz')
    .addColumn('shift_start', 'text', (col) => col.check(sql`shift_start ~ ${HH_MM}`))
    .addColumn('shift_end', 'text', (col) => col.check(sql`shift_end ~ ${HH_MM}`))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('units_location_complete', sql`(latitude is null) = (longitude is null)`)
    .addCheckConstraint('units_shift_complete', sql`(shift_start is null) = (shift_end is null)`)
    .execute();
  // Crews call units by number over the radio: 'M-01' and 'm-01' are the same unit.
  await db.schema
    .createIndex('units_agency_unit_number_key')
    .on('units')
    .unique()
    .expression(sql`agency_id, lower(unit_number)`)
    .execute();
  await db.schema.createIndex('units_agency_number_idx').on('units').columns(['agency_id', 'unit_number', 'id']).execute();
  await db.schema.createIndex('units_number_idx').on('units').columns(['unit_number', 'id']).execute();

  await db.schema
    .createTable('unit_availability')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('unit_id', 'uuid', (col) => col.notNull().references('units.id'))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(UnitStatusEnum))))
    .addColumn('starts_at', 'timestamptz', (col) => col.notNull())
    .addColumn('ends_at', 'timestamptz')
    .addColumn('notes', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('unit_availability_ordered', sql`ends_at is null or ends_at > starts_at`)
    .execute();
  await db.schema.createIndex('unit_availability_unit_time_idx').on('unit_availability').columns(['unit_id', 'starts_at']).execute();

  await db.schema
    .createTable('service_areas')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('agency_id', 'uuid', (col) => col.notNull().references('agencies.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('center_latitude', 'double precision', (col) => col.notNull().check(sql`center_latitude between -90 and 90`))
    .addColumn('center_longitude', 'double precision', (col) => col.notNull().check(sql`center_longitude between -180 and 180`))
    .addColumn('radius_km', 'double precision', (col) => col.notNull().check(sql`radius_km > 0 and radius_km <= 500`))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('service_areas_agency_idx').on('service_areas').columns(['agency_id', 'name', 'id']).execute();

  await db.schema
    .createTable('routes')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('agency_id', 'uuid', (col) => col.notNull().references('agencies.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('route_type', 'text', (col) => col.notNull())
    .addColumn('waypoints', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`).check(sql`jsonb_typeof(waypoints) = 'array'`))
    .addColumn('distance_km', 'double precision', (col) => col.notNull().check(sql`distance_km >= 0`))
    .addColumn('estimated_minutes', 'integer', (col) => col.notNull().check(sql`estimated_minutes >= 0`))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('routes_agency_idx').on('routes').columns(['agency_id', 'name', 'id']).execute();

  await db.schema
    .createTable('trips')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('hospital_id', 'uuid', (col) => col.notNull())
    .addColumn('origin_facility_id', 'uuid', (col) => col.notNull())
    .addColumn('destination_facility_id', 'uuid', (col) => col.notNull())
    .addColumn('transport_level', 'text', (col) => col.notNull().check(oneOf('transport_level', enumValues(TransportLevelEnum))))
    .addColumn('priority', 'text', (col) => col.notNull().check(oneOf('priority', enumValues(TransportPriorityEnum))))
    .addColumn('special_requirements', sql`text[]`, (col) =>
      col.notNull().defaultTo(sql`'{}'`).check(allOf('special_requirements', enumValues(SpecialRequirementEnum))),
    )
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(TransportStatusEnum))))
    .addColumn('requested_at', 'timestamptz', (col) => col.notNull())
    .addColumn('response_deadline', 'timestamptz', (col) => col.notNull())
    .addColumn('assigned_agency_id', 'uuid')
    .addColumn('assigned_unit_id', 'uuid')
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // Open offers by deadline (what an agency may still answer, what is about to expire).
  await db.schema.createIndex('trips_status_deadline_idx').on('trips').columns(['status', 'response_deadline']).execute();
  await db.schema
    .createIndex('trips_agency_status_idx')
    .on('trips')
    .columns(['assigned_agency_id', 'status'])
    .where(sql.ref('assigned_agency_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('trip_responses')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('trip_id', 'uuid', (col) => col.notNull().references('trips.id'))
    .addColumn('agency_id', 'uuid', (col) => col.notNull().references('agencies.id'))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(ResponseStatusEnum))))
    .addColumn('eta_minutes', 'integer', (col) => col.check(sql`eta_minutes >= 0`))
    .addColumn('bid_amount', sql`numeric(12, 2)`, (col) => col.check(sql`bid_amount >= 0`))
    .addColumn('decline_reason', 'text')
    .addColumn('notes', 'text')
    .addColumn('responded_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // One answer per agency and trip: a second accept from the same agency is the same answer, not a new bid.
    .addUniqueConstraint('trip_responses_trip_agency_key', ['trip_id', 'agency_id'])
    .execute();
  await db.schema.createIndex('trip_responses_agency_status_idx').on('trip_responses').columns(['agency_id', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['trip_responses', 'trips', 'routes', 'service_areas', 'unit_availability', 'units', 'agencies']) {
    await db.schema.dropTable(table).execute();
  }
}
