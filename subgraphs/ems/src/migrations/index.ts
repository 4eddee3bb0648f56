import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';
import * as auditLog from './0002_audit_log.js';
import * as events from './0003_events.js';
import * as tripWorkflow from './0004_trip_workflow.js';
import * as agencyNamesNotUnique from './0005_agency_names_not_unique.js';
import * as agencyStatusChangedAt from './0006_agency_status_changed_at.js';
import * as featureToggles from './0007_feature_toggles.js';
import * as trustedSigningKeys from './0008_trusted_signing_keys.js';
import * as idempotentRequests from './0009_idempotent_requests.js';
import * as revokedAccess from './0010_revoked_access.js';

/** The ems silo's migrations, in order. Append; never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_audit_log': auditLog,
  '0003_events': events,
  '0004_trip_workflow': tripWorkflow,
  '0005_agency_names_not_unique': agencyNamesNotUnique,
  '0006_agency_status_changed_at': agencyStatusChangedAt,
  '0007_feature_toggles': featureToggles,
  '0008_trusted_signing_keys': trustedSigningKeys,
  '0009_idempotent_requests': idempotentRequests,
  '0010_revoked_access': revokedAccess,
};
