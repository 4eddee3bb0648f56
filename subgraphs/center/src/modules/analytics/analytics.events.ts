import type { EventHandlers } from '@medport/events';
import type { Transaction } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { addToRollups, createTripFactIfMissing, lockTripFact, updateTripFact } from './analytics.repository.js';
import type { TripFactRow, TripFactUpdate } from './analytics.table.js';
import { analyticsTimeZone } from './analytics.config.js';
import { contributionsOf, rollupChange } from './rollups.js';
import { factOnOffered, factOnPlanChanged, factOnRequested, factOnResponded, factOnStatusChanged } from './trip-facts.js';

/**
 * Applies one event to a trip's fact, and the difference it makes to the rollups. Whichever event of a trip comes
 * first creates the fact (a partial one until TripRequested completes it), so an event that overtook the request
 * is kept, never refused or dropped. The lock makes the hospital and ems consumers take turns on one trip, so
 * neither overwrites what the other just counted.
 */
async function changeTripFact(trx: Transaction<CenterDatabase>, tripId: string, change: (fact: TripFactRow) => TripFactUpdate) {
  await createTripFactIfMissing(trx, tripId);
  const fact = await lockTripFact(trx, tripId);
  const changes = change(fact);
  if (Object.keys(changes).length === 0) return;
  const changed = await updateTripFact(trx, tripId, changes);
  const timeZone = analyticsTimeZone();
  await addToRollups(trx, rollupChange(contributionsOf(fact, timeZone), contributionsOf(changed, timeZone)));
}

/** The facts the center learns from the hospital silo: the trip, its plan and its status. */
export const tripFactsFromHospital: EventHandlers<CenterDatabase> = {
  TripRequested: (trx, event) => changeTripFact(trx, event.payload.tripId, (fact) => factOnRequested(fact, event.payload)),
  TripPlanChanged: (trx, event) => changeTripFact(trx, event.payload.tripId, (fact) => factOnPlanChanged(fact, event.payload)),
  TripStatusChanged: (trx, event) => changeTripFact(trx, event.payload.tripId, (fact) => factOnStatusChanged(fact, event.payload)),
};

/** The facts the center learns from the ems silo: whom a trip was offered to and how they answered. */
export const tripFactsFromEms: EventHandlers<CenterDatabase> = {
  TripOffered: (trx, event) => changeTripFact(trx, event.payload.tripId, (fact) => factOnOffered(fact, event.payload)),
  TripResponded: (trx, event) => changeTripFact(trx, event.payload.tripId, (fact) => factOnResponded(fact, event.payload)),
};
