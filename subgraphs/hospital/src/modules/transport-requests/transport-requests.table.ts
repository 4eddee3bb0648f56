import { MILESTONE_COLUMN } from '@medport/domain';
import type {
  CancellationParty,
  CancellationReason,
  SpecialRequirement,
  TransportLevel,
  TransportPriority,
  TransportStatus,
} from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface TransportRequestsTable {
  id: string;
  hospital_id: string;
  /** An opaque patient reference (an MRN or encounter id), never a name. */
  patient_reference: string;
  origin_facility_id: string;
  destination_facility_id: string;
  transport_level: TransportLevel;
  priority: TransportPriority;
  status: TransportStatus;
  special_requirements: SpecialRequirement[];
  notes: string | null;
  scheduled_pickup_at: Date | null;
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
  assigned_agency_id: string | null;
  assigned_unit_id: string | null;
  created_by_id: string | null;
  cancellation_reason: CancellationReason | null;
  cancellation_party: CancellationParty | null;
  cancellation_notes: string | null;
  /** Bumped on every change, so later event consumers can apply changes in order. */
  version: Generated<number>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface TripHistoryTable {
  id: string;
  transport_request_id: string;
  status: TransportStatus;
  occurred_at: Date;
  notes: string | null;
  updated_by_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type TransportRequestRow = Selectable<TransportRequestsTable>;
export type NewTransportRequestRow = Insertable<TransportRequestsTable>;
export type TransportRequestUpdate = Updateable<TransportRequestsTable>;
export type TripHistoryRow = Selectable<TripHistoryTable>;
export type NewTripHistoryRow = Insertable<TripHistoryTable>;

/** Every milestone column of the domain exists in this table. */
MILESTONE_COLUMN satisfies Record<TransportStatus, keyof TransportRequestsTable>;
