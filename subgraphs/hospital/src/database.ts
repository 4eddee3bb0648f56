import type { AuditLogTable } from '@medport/audit';
import type { EventsDatabase } from '@medport/events';
import type { AgencyPreferencesTable, NetworkAgenciesTable } from './modules/agency-preferences/agency-preferences.table.js';
import type { FacilitiesTable } from './modules/facilities/facilities.table.js';
import type { NetworkSettingsTable } from './modules/network-settings/network-settings.table.js';
import type { TransportRequestsTable, TripHistoryTable } from './modules/transport-requests/transport-requests.table.js';

/** The hospital silo's database, as Kysely sees it. */
export interface HospitalDatabase extends EventsDatabase {
  facilities: FacilitiesTable;
  transport_requests: TransportRequestsTable;
  trip_history: TripHistoryTable;
  agency_preferences: AgencyPreferencesTable;
  network_agencies: NetworkAgenciesTable;
  network_settings: NetworkSettingsTable;
  audit_log: AuditLogTable;
}
