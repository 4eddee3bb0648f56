import { label } from '@medport/database';
import { sql, type Kysely } from 'kysely';
import type { CenterDatabase } from '../database.js';
import { rebuildRollupsFromFacts } from '../modules/analytics/rollup-rebuild.js';

/**
 * The KPIs' pre-aggregated sums (modules/analytics/rollups.ts), and on each trip fact how every agency that answered
 * its offer decided, for the decline rate per agency.
 *
 * trip_rollups is kept in step with trip_facts in the transaction that changes a fact; both are rebuilt from the
 * event history by a replay. Facts already stored when this migration runs get their rollups here. Statements are written out: Kysely's builders take no trailing label.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table trip_facts add column agency_responses jsonb not null default '{}'::jsonb ${label('migration_0007.addAgencyResponses')}`.execute(db);
  await sql`
    create table trip_rollups (
      granularity text not null check (granularity in ('DAY', 'WEEK', 'MONTH')),
      period_start date not null,
      dimension text not null check (dimension in ('NETWORK', 'HOSPITAL', 'AGENCY', 'TRANSPORT_LEVEL', 'PRIORITY')),
      dimension_value text not null,
      trips integer not null default 0,
      offered_trips integer not null default 0,
      accepted_trips integer not null default 0,
      offers integer not null default 0,
      responses integer not null default 0,
      declines integer not null default 0,
      status_counts integer[] not null default '{}',
      cancellations_by_reason integer[] not null default '{}',
      cancellations_by_party integer[] not null default '{}',
      acceptance_minutes integer[] not null default '{}',
      unit_response_minutes integer[] not null default '{}',
      accept_to_pickup_minutes integer[] not null default '{}',
      transport_minutes integer[] not null default '{}',
      pickup_deviation_minutes integer[] not null default '{}',
      primary key (granularity, dimension, dimension_value, period_start)
    ) ${label('migration_0007.createTripRollups')}`.execute(db);
  // Facts stored before rollups existed get theirs now, computed the way the consumers compute them.
  await rebuildRollupsFromFacts(db as Kysely<CenterDatabase>);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table trip_rollups ${label('migration_0007.dropTripRollups')}`.execute(db);
  await sql`alter table trip_facts drop column agency_responses ${label('migration_0007.dropAgencyResponses')}`.execute(db);
}
