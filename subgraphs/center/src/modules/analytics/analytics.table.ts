import { MILESTONE_COLUMN } from '@medport/domain';
import type { CancellationParty, CancellationReason, TransportLevel, TransportPriority, TransportStatus } from '@medport/domain';
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/**
 * One row per trip, with the times it reached each status: the center's own copy of what it needs for KPIs,
 * kept up to date from the other silos' events. No patient data.
 */
export interface TripFactsTable {
  trip_id: string;
  hospital_id: string;
  agency_id: string | null;
  transport_level: TransportLevel;
  priority: TransportPriority;
  status: TransportStatus;
  requested_at: Date;
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
  /** Agencies that answered the offer (accepted or declined). */
  response_count: ColumnType<number, number | undefined, number>;
  decline_count: ColumnType<number, number | undefined, number>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type TripFactRow = Selectable<TripFactsTable>;
export type NewTripFactRow = Insertable<TripFactsTable>;
export type TripFactUpdate = Updateable<TripFactsTable>;

/** Every milestone column of the domain exists in this table. */
MILESTONE_COLUMN satisfies Record<TransportStatus, keyof TripFactsTable>;
