import {
  CancellationPartyEnum,
  CancellationReasonEnum,
  enumValues,
  rolesOfTenant,
  ServiceStatusEnum,
  TransportLevelEnum,
  TransportPriorityEnum,
  TransportStatusEnum,
  UserRoleEnum,
} from '@medport/domain';
import { sql, type Kysely } from 'kysely';
import { oneOf } from '@medport/database';
import { NOTIFICATION_CHANNELS } from '../modules/system/system.table.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('hospitals')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('address_line', 'text', (col) => col.notNull())
    .addColumn('city', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('postal_code', 'text', (col) => col.notNull())
    .addColumn('contact_name', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(ServiceStatusEnum))))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // The hospitals list is sorted by name and pages by (name, id).
  await db.schema.createIndex('hospitals_name_idx').on('hospitals').columns(['name', 'id']).execute();

  await db.schema
    .createTable('service_registry')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('service_name', 'text', (col) => col.notNull())
    .addColumn('service_type', 'text', (col) => col.notNull().defaultTo('EMS_AGENCY'))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(ServiceStatusEnum))))
    .addColumn('agency_id', 'uuid', (col) => col.notNull().unique())
    .addColumn('added_by_id', 'uuid')
    .addColumn('added_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('configuration', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('metadata', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('service_registry_name_idx').on('service_registry').columns(['service_name', 'id']).execute();

  // The tenant rule lives in the database too, so no code path (a script, a later migration) can store an
  // account that belongs to the wrong kind of tenant or to two at once.
  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().check(oneOf('role', enumValues(UserRoleEnum))))
    .addColumn('hospital_id', 'uuid', (col) => col.references('hospitals.id'))
    .addColumn('agency_id', 'uuid', (col) => col.references('service_registry.agency_id'))
    .addColumn('permissions', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('last_login_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'users_tenant_matches_role',
      sql`(${oneOf('role', rolesOfTenant('HOSPITAL'))} and hospital_id is not null and agency_id is null)
       or (${oneOf('role', rolesOfTenant('EMS'))} and agency_id is not null and hospital_id is null)
       or (${oneOf('role', rolesOfTenant('CENTER'))} and hospital_id is null and agency_id is null)`,
    )
    .execute();
  await db.schema.createIndex('users_email_key').on('users').unique().expression(sql`lower(email)`).execute();
  await db.schema.createIndex('users_email_order_idx').on('users').columns(['email', 'id']).execute();
  await db.schema
    .createIndex('users_hospital_idx')
    .on('users')
    .columns(['hospital_id', 'email', 'id'])
    .where(sql.ref('hospital_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('users_agency_idx')
    .on('users')
    .columns(['agency_id', 'email', 'id'])
    .where(sql.ref('agency_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('system_configuration')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('value', 'jsonb', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('category', 'text', (col) => col.notNull())
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('updated_by_id', 'uuid')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('system_configuration_category_idx').on('system_configuration').columns(['category', 'key']).execute();

  await db.schema
    .createTable('feature_toggles')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('is_enabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('target', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('configuration', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('updated_by_id', 'uuid')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('notification_templates')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('channel', 'text', (col) => col.notNull().check(oneOf('channel', NOTIFICATION_CHANNELS)))
    .addColumn('subject', 'text')
    .addColumn('content', 'text', (col) => col.notNull())
    .addColumn('variables', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();


  // Facts arrive from other silos' events, in any order: no foreign keys, so a fact is never refused because
  // the registry has not caught up yet.
  await db.schema
    .createTable('trip_facts')
    .addColumn('trip_id', 'uuid', (col) => col.primaryKey())
    .addColumn('hospital_id', 'uuid', (col) => col.notNull())
    .addColumn('agency_id', 'uuid')
    .addColumn('transport_level', 'text', (col) => col.notNull().check(oneOf('transport_level', enumValues(TransportLevelEnum))))
    .addColumn('priority', 'text', (col) => col.notNull().check(oneOf('priority', enumValues(TransportPriorityEnum))))
    .addColumn('status', 'text', (col) => col.notNull().check(oneOf('status', enumValues(TransportStatusEnum))))
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
    .addColumn('scheduled_pickup_at', 'timestamptz')
    .addColumn('cancellation_reason', 'text', (col) => col.check(oneOf('cancellation_reason', enumValues(CancellationReasonEnum))))
    .addColumn('cancellation_party', 'text', (col) => col.check(oneOf('cancellation_party', enumValues(CancellationPartyEnum))))
    .addColumn('response_count', 'integer', (col) => col.notNull().defaultTo(0).check(sql`response_count >= 0`))
    .addColumn('decline_count', 'integer', (col) => col.notNull().defaultTo(0).check(sql`decline_count >= 0`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // Analytics always narrow by when trips were requested, network-wide or for one hospital or agency.
  await db.schema.createIndex('trip_facts_requested_idx').on('trip_facts').column('requested_at').execute();
  await db.schema.createIndex('trip_facts_hospital_requested_idx').on('trip_facts').columns(['hospital_id', 'requested_at']).execute();
  await db.schema.createIndex('trip_facts_agency_requested_idx').on('trip_facts').columns(['agency_id', 'requested_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'trip_facts',
    'notification_templates',
    'feature_toggles',
    'system_configuration',
    'users',
    'service_registry',
    'hospitals',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
