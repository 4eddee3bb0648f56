import { MILESTONE_COLUMN } from '@medport/domain';
import type { CancellationParty, CancellationReason, TransportLevel, TransportPriority, TransportStatus } from '@medport/domain';
import type { JsonColumn } from '@medport/database';
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { Period } from './calendar.js';
import type { Dimension, ListCounter, ScalarCounter } from './rollups.js';

/**
 * One row per trip, with the times it reached each status: the center's own copy of what it needs for KPIs,
 * kept up to date from the other silos' events. No patient data.
 *
 * The hospital's and the ems feed are read independently, so a trip's events arrive in any order, and whichever
 * comes first creates the row. Until TripRequested has been applied the row is a partial fact: `requested_at` is
 * null, and so may be the hospital, level and priority. Analytics count complete facts only.
 */
export interface TripFactsTable {
  trip_id: string;
  /** Null only on a partial fact created by an ems response. */
  hospital_id: string | null;
  agency_id: string | null;
  /** Null only on a partial fact that no plan has reached yet. */
  transport_level: TransportLevel | null;
  priority: TransportPriority | null;
  /** Only ever moves forward in the lifecycle; a partial fact starts at REQUESTED, where every trip starts. */
  status: TransportStatus;
  /** When the trip was requested; null while the fact is partial. */
  requested_at: Date | null;
  accepted_at: Date | null;
  assigned_at: Date | null;
  en_route_at: Date | null;
  at_pickup_at: Date | null;
  picked_up_at: Date | null;
  at_destination_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
  expired_at: Date | null;
  scheduled_pickup_at: Date | null;
  cancellation_reason: CancellationReason | null;
  cancellation_party: CancellationParty | null;
  /** The hospital's version of the plan held here: 0 for none yet, 1 for the plan as requested. */
  plan_version: ColumnType<number, number | undefined, number>;
  /** Agencies that answered the offer (accepted or declined). */
  response_count: ColumnType<number, number | undefined, number>;
  decline_count: ColumnType<number, number | undefined, number>;
  /** How many agencies the trip was offered to, each counted once. */
  offered_count: ColumnType<number, number | undefined, number>;
  /** When the trip was first offered. */
  offered_at: Date | null;
  /** The agencies counted in `offered_count`, as a JSON array of ids in the order they were offered the trip. */
  offered_agency_ids: JsonColumn;
  /** How each agency that answered decided, as a JSON object from agency id to ACCEPTED or DECLINED. */
  agency_responses: JsonColumn;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/**
 * The KPIs' pre-aggregated sums (see rollups.ts): one row per period (day, week, month) and dimension value.
 * List counters are PostgreSQL integer arrays; their rows are written as array literals in text, which both
 * drivers pass through unchanged, and read back as number arrays.
 */
export type TripRollupsTable = {
  granularity: Period;
  period_start: ColumnType<string, string, never>;
  dimension: Dimension;
  dimension_value: string;
} & Record<ScalarCounter, number> &
  Record<ListCounter, ColumnType<number[], string, string>>;

export type TripFactRow = Selectable<TripFactsTable>;
export type NewTripFactRow = Insertable<TripFactsTable>;
export type TripFactUpdate = Updateable<TripFactsTable>;

/** Every milestone column of the domain exists in this table. */
MILESTONE_COLUMN satisfies Record<TransportStatus, keyof TripFactsTable>;
