import type { FacilityType, SpecialRequirement } from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface FacilitiesTable {
  id: string;
  hospital_id: string;
  name: string;
  type: FacilityType;
  address_line: string;
  city: string;
  state: string;
  postal_code: string;
  latitude: number;
  longitude: number;
  phone: string | null;
  email: string | null;
  operating_hours: string | null;
  capabilities: SpecialRequirement[];
  is_active: Generated<boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type FacilityRow = Selectable<FacilitiesTable>;
export type NewFacilityRow = Insertable<FacilitiesTable>;
export type FacilityUpdate = Updateable<FacilitiesTable>;
