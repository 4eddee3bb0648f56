import type { ResponseStatus, SpecialRequirement, TransportLevel, TransportPriority, TransportStatus } from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The ems copy of a trip offered to agencies, kept from the hospital's events. It holds what an agency needs to
 * decide and nothing about the patient: patient references stay in the hospital silo.
 */
export interface TripsTable {
  /** The hospital's transport request id. */
  id: string;
  hospital_id: string;
  origin_facility_id: string;
  destination_facility_id: string;
  transport_level: TransportLevel;
  priority: TransportPriority;
  special_requirements: SpecialRequirement[];
  status: TransportStatus;
  requested_at: Date;
  /** When the pickup is planned, for scheduled trips. */
  scheduled_pickup_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Agencies must answer before this instant; afterwards the offer expires. */
  response_deadline: Date;
  assigned_agency_id: string | null;
  assigned_unit_id: string | null;
  /** The hospital's version of the trip last applied here, so late events never move the copy backwards. */
  version: Generated<number>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** An agency's answer to a trip offered to it: one row per (trip, agency), PENDING until it answers. */
export interface TripResponsesTable {
  id: string;
  trip_id: string;
  agency_id: string;
  status: ResponseStatus;
  eta_minutes: number | null;
  bid_amount: number | null;
  decline_reason: string | null;
  notes: string | null;
  responded_at: Date | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** A status change this silo made to a trip (acceptance, assignment, crew progress, expiry), and who reported it. */
export interface TripProgressTable {
  id: string;
  trip_id: string;
  status: TransportStatus;
  agency_id: string | null;
  unit_id: string | null;
  reported_by_id: string | null;
  /** The crew's or dispatcher's free text; it stays in this silo (events carry no free text). */
  notes: string | null;
  occurred_at: ColumnType<Date, Date | undefined, never>;
}

export type TripRow = Selectable<TripsTable>;
export type TripUpdate = Updateable<TripsTable>;
export type NewTripRow = Insertable<TripsTable>;
export type TripResponseRow = Selectable<TripResponsesTable>;
export type NewTripResponseRow = Insertable<TripResponsesTable>;
export type NewTripProgressRow = Insertable<TripProgressTable>;
