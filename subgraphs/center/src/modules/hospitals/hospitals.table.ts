import type { ServiceStatus } from '@medport/domain';
import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/** The network's registry of hospitals. Each hospital silo keys its facilities and trips by these ids. */
export interface HospitalsTable {
  id: string;
  name: string;
  address_line: string;
  city: string;
  state: string;
  postal_code: string;
  contact_name: string | null;
  phone: string | null;
  email: string | null;
  status: ServiceStatus;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type HospitalRow = Selectable<HospitalsTable>;
export type NewHospitalRow = Insertable<HospitalsTable>;
export type HospitalUpdate = Updateable<HospitalsTable>;
