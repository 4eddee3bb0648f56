import type { ServiceStatus } from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** A hospital's ordered list of the agencies it offers trips to first. */
export interface AgencyPreferencesTable {
  id: string;
  hospital_id: string;
  agency_id: string;
  preference_order: number;
  is_active: Generated<boolean>;
  notes: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type AgencyPreferenceRow = Selectable<AgencyPreferencesTable>;
export type NewAgencyPreferenceRow = Insertable<AgencyPreferencesTable>;

/** An agency of the network, as the center registered it; hospitals prefer agencies from this list. */
export interface NetworkAgenciesTable {
  id: string;
  name: string;
  status: ServiceStatus;
  registered_at: Date;
  /** When the center last set `status`. */
  status_changed_at: Date;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type NetworkAgencyRow = Selectable<NetworkAgenciesTable>;
