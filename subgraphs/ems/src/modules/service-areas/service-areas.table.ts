import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A circle an agency covers; trips whose origin lies inside are offered to it in geographic dispatch. */
export interface ServiceAreasTable {
  id: string;
  agency_id: string;
  name: string;
  center_latitude: number;
  center_longitude: number;
  radius_km: number;
  is_active: Generated<boolean>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ServiceAreaRow = Selectable<ServiceAreasTable>;
export type NewServiceAreaRow = Insertable<ServiceAreasTable>;
export type ServiceAreaUpdate = Updateable<ServiceAreasTable>;
