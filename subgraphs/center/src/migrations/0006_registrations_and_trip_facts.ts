import { label } from '@medport/database';
import { sql, type Kysely } from 'kysely';

/**
 * What the center's part of the event flows needs.
 *
 * service_registry: one registration per agency name, whatever its letter case. The unique index decides, so two
 * administrators registering the same agency at once cannot both succeed.
 *
 * trip_facts: the facts are built from two feeds (hospital and ems) that the center reads independently, so the
 * events of one trip can arrive in any order. The first event of a trip creates its row, whatever the event; a
 * row is a *partial* fact until TripRequested completes it (`requested_at is null` until then), which is why the
 * columns only TripRequested can fill become nullable. The check keeps every complete fact whole.
 * `plan_version` is the hospital's version of the plan the row holds (0: none yet; the requested plan is 1), so a
 * late TripPlanChanged never replaces a newer one. `offered_agency_ids` lists each agency offered the trip once,
 * so `offered_count` counts agencies, not offer rounds.
 *
 * Statements are written out: Kysely's alter and index builders take no trailing label.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index service_registry_name_key on service_registry (lower(service_name)) ${label('migration_0006.createServiceRegistryNameKey')}`.execute(db);

  await sql`
    alter table trip_facts
      alter column hospital_id drop not null,
      alter column transport_level drop not null,
      alter column priority drop not null,
      alter column requested_at drop not null,
      add column plan_version integer not null default 0 check (plan_version >= 0),
      add column offered_count integer not null default 0 check (offered_count >= 0),
      add column offered_at timestamptz,
      add column offered_agency_ids jsonb not null default '[]'::jsonb,
      add constraint trip_facts_complete_when_requested
        check (requested_at is null or (hospital_id is not null and transport_level is not null and priority is not null))
    ${label('migration_0006.alterTripFacts')}`.execute(db);
  // Facts written before this migration were written from the requested plan.
  await sql`update trip_facts set plan_version = 1 ${label('migration_0006.backfillPlanVersion')}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // Partial facts cannot live under the old constraints; they come back when their TripRequested is replayed.
  await sql`delete from trip_facts where requested_at is null ${label('migration_0006.dropPartialTripFacts')}`.execute(db);
  await sql`
    alter table trip_facts
      drop constraint trip_facts_complete_when_requested,
      drop column offered_agency_ids,
      drop column offered_at,
      drop column offered_count,
      drop column plan_version,
      alter column hospital_id set not null,
      alter column transport_level set not null,
      alter column priority set not null,
      alter column requested_at set not null
    ${label('migration_0006.restoreTripFacts')}`.execute(db);
  await sql`drop index service_registry_name_key ${label('migration_0006.dropServiceRegistryNameKey')}`.execute(db);
}
