import type { AuditLogTable } from '@medport/audit';
import type { EventsDatabase } from '@medport/events';
import type { AgenciesTable } from './modules/agencies/agencies.table.js';
import type { FeatureTogglesTable } from './modules/feature-toggles/feature-toggles.table.js';
import type { RoutesTable } from './modules/routes/routes.table.js';
import type { ServiceAreasTable } from './modules/service-areas/service-areas.table.js';
import type { TripProgressTable, TripResponsesTable, TripsTable } from './modules/trips/trips.table.js';
import type { UnitAvailabilityTable, UnitsTable } from './modules/units/units.table.js';

/** The ems silo's database, as Kysely sees it. */
export interface EmsDatabase extends EventsDatabase {
  agencies: AgenciesTable;
  units: UnitsTable;
  unit_availability: UnitAvailabilityTable;
  service_areas: ServiceAreasTable;
  routes: RoutesTable;
  trips: TripsTable;
  trip_responses: TripResponsesTable;
  trip_progress: TripProgressTable;
  feature_toggles: FeatureTogglesTable;
  audit_log: AuditLogTable;
}

