import type { TripFactsTable, TripRollupsTable } from './modules/analytics/analytics.table.js';
import type { AuditLogTable } from '@medport/audit';
import type { EventsDatabase } from '@medport/events';
import type { RefreshTokensTable, SignInAttemptsTable, SigningKeysTable } from './modules/auth/auth.table.js';
import type { HospitalsTable } from './modules/hospitals/hospitals.table.js';
import type { ServiceRegistryTable } from './modules/service-registry/service-registry.table.js';
import type { FeatureTogglesTable, NotificationTemplatesTable, SystemConfigurationTable } from './modules/system/system.table.js';
import type { UsersTable } from './modules/users/users.table.js';

/** The center silo's database, as Kysely sees it. */
export interface CenterDatabase extends EventsDatabase {
  hospitals: HospitalsTable;
  users: UsersTable;
  service_registry: ServiceRegistryTable;
  system_configuration: SystemConfigurationTable;
  feature_toggles: FeatureTogglesTable;
  notification_templates: NotificationTemplatesTable;
  audit_log: AuditLogTable;
  trip_facts: TripFactsTable;
  trip_rollups: TripRollupsTable;
  signing_keys: SigningKeysTable;
  refresh_tokens: RefreshTokensTable;
  sign_in_attempts: SignInAttemptsTable;
}
