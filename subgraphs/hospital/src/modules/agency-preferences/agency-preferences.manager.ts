import { auditedChange } from '@medport/audit';
import { newId } from '@medport/domain';
import { badInput, isId, notFound, optionalText, requireDistinct } from '@medport/graphql';
import { requireViewer } from '@medport/auth';
import { mayReadHospitalSettings, requireHospitalAdminOf } from '../../access.js';
import type { HospitalContext } from '../../context.js';
import { findNetworkAgencies, replacePreferences } from './agency-preferences.repository.js';
import type { AgencyPreferenceRow } from './agency-preferences.table.js';

export interface AgencyPreferenceInput {
  agencyId: string;
  isActive?: boolean | null;
  notes?: string | null;
}

export const MAX_PREFERRED_AGENCIES = 50;

/**
 * A hospital's preferred agencies, for its own people and center staff. Anyone else gets an empty list: which
 * agencies a hospital favours is its business, and an empty list tells an outsider nothing.
 */
export async function getPreferences(context: HospitalContext, hospitalId: string): Promise<AgencyPreferenceRow[]> {
  if (!mayReadHospitalSettings(requireViewer(context.viewer), hospitalId)) return [];
  if (!isId(hospitalId)) throw notFound('Hospital', hospitalId);
  return context.loaders.preferencesByHospital.load(hospitalId);
}

/** `Hospital.agencyPreferences`: the same rule, batched over the hospitals of a list. */
export async function preferencesOfHospital(context: HospitalContext, hospitalId: string): Promise<AgencyPreferenceRow[]> {
  if (!mayReadHospitalSettings(requireViewer(context.viewer), hospitalId)) return [];
  return context.loaders.preferencesByHospital.load(hospitalId);
}

/**
 * Replaces a hospital's preference list in one transaction; the list order is the preference order. Only the
 * hospital's administrators and center administrators may.
 */
export function setPreferences(
  context: HospitalContext,
  hospitalId: string,
  preferences: AgencyPreferenceInput[],
): Promise<AgencyPreferenceRow[]> {
  const target = { action: 'SET_AGENCY_PREFERENCES', entityType: 'Hospital', entityId: hospitalId, details: { agencies: preferences.length } };
  return auditedChange(context, target, async (commit) => {
    requireHospitalAdminOf(context.viewer, hospitalId, 'set agency preferences');
    if (!isId(hospitalId)) throw notFound('Hospital', hospitalId);
    if (preferences.length > MAX_PREFERRED_AGENCIES) {
      throw badInput(`A hospital can prefer at most ${MAX_PREFERRED_AGENCIES} agencies.`, 'preferences');
    }
    for (const preference of preferences) {
      if (!isId(preference.agencyId)) throw notFound('Agency', preference.agencyId);
    }
    requireDistinct(
      preferences.map((preference) => preference.agencyId),
      'preferences.agencyId',
    );
    // Only agencies the center registered: the hospital learns them from the center's events.
    const known = new Set((await findNetworkAgencies(context.db, preferences.map((preference) => preference.agencyId))).map((agency) => agency.id));
    const unknown = preferences.find((preference) => !known.has(preference.agencyId));
    if (unknown) throw notFound('Agency', unknown.agencyId);
    const now = new Date();
    const rows = preferences.map((preference, index) => ({
      id: newId(),
      hospital_id: hospitalId,
      agency_id: preference.agencyId,
      preference_order: index + 1,
      is_active: preference.isActive ?? true,
      notes: optionalText(preference.notes, 'notes', 500),
      created_at: now,
      updated_at: now,
    }));
    // The list may be emptied, so the audited record is the hospital whose list it is, not a preference row.
    return commit((trx) => replacePreferences(trx, hospitalId, rows), () => hospitalId);
  });
}
