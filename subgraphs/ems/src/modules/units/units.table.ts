import type { SpecialRequirement, TransportLevel, UnitStatus } from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface UnitsTable {
  id: string;
  agency_id: string;
  /** The unit's call sign within its agency, e.g. 'AVE-ALS-02'; unique per agency regardless of case. */
  unit_number: string;
  level: TransportLevel;
  capabilities: SpecialRequirement[];
  status: Generated<UnitStatus>;
  latitude: number | null;
  longitude: number | null;
  location_updated_at: Date | null;
  /** Local wall-clock times 'HH:MM'; a shift ending before it starts runs past midnight. */
  shift_start: string | null;
  shift_end: string | null;
  is_active: Generated<boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** A planned or recorded period in which a unit has a status (a shift, maintenance, a standby post). */
export interface UnitAvailabilityTable {
  id: string;
  unit_id: string;
  status: UnitStatus;
  starts_at: Date;
  /** Null while the period is open-ended. */
  ends_at: Date | null;
  notes: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type UnitRow = Selectable<UnitsTable>;
export type NewUnitRow = Insertable<UnitsTable>;
export type UnitUpdate = Updateable<UnitsTable>;
export type UnitAvailabilityRow = Selectable<UnitAvailabilityTable>;
export type NewUnitAvailabilityRow = Insertable<UnitAvailabilityTable>;
