import type { AuditLogTable } from '@medport/audit';
import type { EventsDatabase } from '@medport/events';
import type { AgencyPreferencesTable, NetworkAgenciesTable } from './modules/agency-preferences/agency-preferences.table.js';
import type { FacilitiesTable } from './modules/facilities/facilities.table.js';
import type { TransportRequestsTable, TripHistoryTable } from './modules/transport-requests/transport-requests.table.js';

/** The hospital silo's database, as Kysely sees it. */
export interface HospitalDatabase extends EventsDatabase {
  facilities: FacilitiesTable;
  transport_requests: TransportRequestsTable;
  trip_history: TripHistoryTable;
  agency_preferences: AgencyPreferencesTable;
  network_agencies: NetworkAgenciesTable;
  audit_log: AuditLogTable;
}
