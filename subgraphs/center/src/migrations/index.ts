import type { Migration } from 'kysely';
import * as initial from './0001_initial.js';
import * as auth from './0002_auth.js';
import * as auditLog from './0003_audit_log.js';
import * as signInAttempts from './0004_sign_in_attempts.js';
import * as events from './0005_events.js';
import * as registrationsAndTripFacts from './0006_registrations_and_trip_facts.js';
import * as tripRollups from './0007_trip_rollups.js';
import * as signInAttemptClients from './0008_sign_in_attempt_clients.js';
import * as revokedAccess from './0009_revoked_access.js';

/** The center silo's migrations, in order. Append; never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_auth': auth,
  '0003_audit_log': auditLog,
  '0004_sign_in_attempts': signInAttempts,
  '0005_events': events,
  '0006_registrations_and_trip_facts': registrationsAndTripFacts,
  '0007_trip_rollups': tripRollups,
  '0008_sign_in_attempt_clients': signInAttemptClients,
  '0009_revoked_access': revokedAccess,
};
