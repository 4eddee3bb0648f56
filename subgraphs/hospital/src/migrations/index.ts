import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';
import * as auditLog from './0002_audit_log.js';
import * as agencyTripIndex from './0003_agency_trip_index.js';
import * as events from './0004_events.js';
import * as networkAgencies from './0005_network_agencies.js';
import * as networkSettings from './0006_network_settings.js';
import * as facilityTripIndexes from './0007_facility_trip_indexes.js';
import * as trustedSigningKeys from './0008_trusted_signing_keys.js';
import * as idempotentRequests from './0009_idempotent_requests.js';
import * as revokedAccess from './0010_revoked_access.js';

/** The hospital silo's migrations, in order. Append; never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_audit_log': auditLog,
  '0003_agency_trip_index': agencyTripIndex,
  '0004_events': events,
  '0005_network_agencies': networkAgencies,
  '0006_network_settings': networkSettings,
  '0007_facility_trip_indexes': facilityTripIndexes,
  '0008_trusted_signing_keys': trustedSigningKeys,
  '0009_idempotent_requests': idempotentRequests,
  '0010_revoked_access': revokedAccess,
};
