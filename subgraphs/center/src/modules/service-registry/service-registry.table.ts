import type { ServiceStatus } from '@medport/domain';
import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonColumn } from '@medport/database';

/**
 * The network's registrations: one per EMS agency. The center decides here whether an agency takes part; the
 * ems silo keeps the agency's operational record under the same id.
 */
export interface ServiceRegistryTable {
  id: string;
  service_name: string;
  service_type: ColumnType<string, string | undefined, string>;
  status: ServiceStatus;
  /** The ems agency this registration stands for. */
  agency_id: string;
  added_by_id: string | null;
  added_at: ColumnType<Date, Date | undefined, never>;
  configuration: JsonColumn;
  metadata: JsonColumn;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type ServiceRegistrationRow = Selectable<ServiceRegistryTable>;
export type NewServiceRegistrationRow = Insertable<ServiceRegistryTable>;
