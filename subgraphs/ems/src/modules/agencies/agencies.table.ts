import type { ServiceStatus, SpecialRequirement, TransportLevel } from '@medport/domain';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * How an agency prices its trips, as the agency describes it (base fee, per-km rate, surcharges). Kept as a
 * document: agencies price in too many different ways for fixed columns, and no query filters on it.
 */
export type AgencyPricing = Record<string, unknown>;

export interface AgenciesTable {
  id: string;
  name: string;
  contact_name: string | null;
  phone: string | null;
  email: string | null;
  address_line: string;
  city: string;
  state: string;
  postal_code: string;
  operating_hours: string | null;
  /** The levels of care the agency provides (GraphQL `capabilities`). */
  levels: TransportLevel[];
  /** Equipment and care the agency's units carry. */
  equipment: SpecialRequirement[];
  // Written as JSON text, as every jsonb column of this silo, so both drivers store the same document.
  pricing: ColumnType<AgencyPricing | null, string | null, string | null>;
  is_active: Generated<boolean>;
  status: ServiceStatus;
  /** When the center last set `status`; a status event older than this changes nothing. */
  status_changed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The account that added the agency to the network, when known. */
  added_by_id: string | null;
  added_at: ColumnType<Date, Date | undefined, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type AgencyRow = Selectable<AgenciesTable>;
export type NewAgencyRow = Insertable<AgenciesTable>;
export type AgencyUpdate = Updateable<AgenciesTable>;
