import { canReach, isCancellable, MILESTONE_COLUMN, overridesCancellation, type EventContracts } from '@medport/domain';
import { jsonText } from '@medport/database';
import type { TripFactRow, TripFactUpdate } from './analytics.table.js';

/**
 * How each event changes a trip's fact, given the fact as it stands (locked by the caller). Each function returns
 * only what must change, nothing when the event teaches the fact nothing new. The rules make the result the same
 * whatever order the events arrive in: milestones are stamped once, the status only moves forward, a plan only
 * gives way to a newer version, and a trip's offer is counted once per agency.
 */

/** The hospital numbers a trip's versions from 1, the plan it was requested with. */
export const REQUESTED_PLAN_VERSION = 1;

/** Completes a partial fact. A fact TripRequested already completed stays as it is. */
export function factOnRequested(fact: TripFactRow, event: EventContracts['TripRequested']): TripFactUpdate {
  if (fact.requested_at !== null) return {};
  const changes: TripFactUpdate = { hospital_id: event.hospitalId, requested_at: new Date(event.requestedAt) };
  // A plan change that overtook the request is newer than the requested plan: it stays.
  if (fact.plan_version < REQUESTED_PLAN_VERSION) {
    Object.assign(changes, {
      transport_level: event.transportLevel,
      priority: event.priority,
      scheduled_pickup_at: event.scheduledPickupAt ? new Date(event.scheduledPickupAt) : null,
      plan_version: REQUESTED_PLAN_VERSION,
    } satisfies TripFactUpdate);
  }
  return changes;
}

export function factOnPlanChanged(fact: TripFactRow, event: EventContracts['TripPlanChanged']): TripFactUpdate {
  const changes: TripFactUpdate = {};
  if (fact.hospital_id === null) changes.hospital_id = event.hospitalId;
  if (event.version > fact.plan_version) {
    Object.assign(changes, {
      transport_level: event.transportLevel,
      priority: event.priority,
      scheduled_pickup_at: event.scheduledPickupAt ? new Date(event.scheduledPickupAt) : null,
      plan_version: event.version,
    } satisfies TripFactUpdate);
  }
  return changes;
}

export function factOnStatusChanged(fact: TripFactRow, event: EventContracts['TripStatusChanged']): TripFactUpdate {
  const changes: TripFactUpdate = {};
  if (fact.hospital_id === null) changes.hospital_id = event.hospitalId;
  // A cancellation only ever applies before the patient is on board: one that arrives after the fact moved past
  // that (the feed orders transactions by id, not by commit, so it can come late) changes nothing at all.
  if (event.status === 'CANCELLED' && !isCancellable(fact.status)) return changes;
  // A late event still tells when its milestone happened; only the first report of a milestone counts. The
  // request time belongs to TripRequested, which also completes the fact.
  const column = MILESTONE_COLUMN[event.status];
  if (event.status !== 'REQUESTED' && fact[column] === null) changes[column] = new Date(event.occurredAt);
  // The hospital withdraws a cancellation the crew overtook (the patient was already on board): the trip was not
  // cancelled after all.
  const withdrawsCancellation = overridesCancellation(fact.status, event.status);
  if (withdrawsCancellation) Object.assign(changes, { cancelled_at: null, cancellation_reason: null, cancellation_party: null });
  const forward = withdrawsCancellation || canReach(fact.status, event.status);
  if (forward) changes.status = event.status;
  // The agency of the newest status is the trip's; a late event only fills an agency the fact lacks.
  if (event.agencyId && (forward || fact.agency_id === null)) changes.agency_id = event.agencyId;
  if (event.status === 'CANCELLED' && event.cancellation && fact.cancellation_reason === null) {
    changes.cancellation_reason = event.cancellation.reason;
    changes.cancellation_party = event.cancellation.party;
  }
  return changes;
}

/** The agencies a fact counts as offered the trip. */
export function offeredAgencyIdsOf(fact: Pick<TripFactRow, 'offered_agency_ids'>): string[] {
  const ids = fact.offered_agency_ids;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}

export function factOnOffered(fact: TripFactRow, event: EventContracts['TripOffered']): TripFactUpdate {
  const changes: TripFactUpdate = {};
  if (fact.hospital_id === null) changes.hospital_id = event.hospitalId;
  // An agency offered the trip again (a new offer round, a repeated list) is still one agency.
  const offered = new Set(offeredAgencyIdsOf(fact).map((id) => id.toLowerCase()));
  const before = offered.size;
  for (const id of event.agencyIds) offered.add(id.toLowerCase());
  if (offered.size > before) {
    changes.offered_agency_ids = jsonText([...offered]);
    changes.offered_count = offered.size;
  }
  // An offer to nobody (no agency could serve the trip) is not an offer: it leaves the time open.
  const offeredAt = new Date(event.offeredAt);
  if (event.agencyIds.length > 0 && (fact.offered_at === null || offeredAt < fact.offered_at)) changes.offered_at = offeredAt;
  return changes;
}

/** How each agency that answered the trip's offer decided, by agency id (the latest answer of each). */
export function agencyResponsesOf(fact: Pick<TripFactRow, 'agency_responses'>): Record<string, 'ACCEPTED' | 'DECLINED'> {
  const responses = fact.agency_responses;
  if (responses === null || typeof responses !== 'object' || Array.isArray(responses)) return {};
  return Object.fromEntries(Object.entries(responses).filter(([, decision]) => decision === 'ACCEPTED' || decision === 'DECLINED')) as Record<
    string,
    'ACCEPTED' | 'DECLINED'
  >;
}

export function factOnResponded(fact: TripFactRow, event: EventContracts['TripResponded']): TripFactUpdate {
  return {
    response_count: fact.response_count + 1,
    ...(event.decision === 'DECLINED' ? { decline_count: fact.decline_count + 1 } : {}),
    agency_responses: jsonText({ ...agencyResponsesOf(fact), [event.agencyId.toLowerCase()]: event.decision }),
  };
}

/** The events a trip's fact is built from, each with the function that applies it. */
export const FACT_CHANGES = {
  TripRequested: factOnRequested,
  TripPlanChanged: factOnPlanChanged,
  TripStatusChanged: factOnStatusChanged,
  TripOffered: factOnOffered,
  TripResponded: factOnResponded,
} as const;

export type FactEventType = keyof typeof FACT_CHANGES;

/** What an event changes in a trip's fact, by its type. */
export function factChangeOf<T extends FactEventType>(fact: TripFactRow, type: T, payload: EventContracts[T]): TripFactUpdate {
  return (FACT_CHANGES[type] as (fact: TripFactRow, payload: EventContracts[T]) => TripFactUpdate)(fact, payload);
}
