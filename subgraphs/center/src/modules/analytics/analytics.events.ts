import type { EventHandlers, TypedEvent } from '@medport/events';
import type { Transaction } from 'kysely';
import type { CenterDatabase } from '../../database.js';
import { addToRollups, lockOrCreateTripFact, updateTripFact } from './analytics.repository.js';
import type { TripFactRow, TripFactUpdate } from './analytics.table.js';
import { analyticsTimeZone } from './analytics.config.js';
import { addToSums, changedRows, contributionsOf, type RollupSums } from './rollups.js';
import { factChangeOf, type FactEventType } from './trip-facts.js';

/**
 * The KPI sums a transaction's events changed, not yet written. They are written once, sorted by key, when the
 * batch ends (`writeRollupChanges`): one statement per batch instead of one per event, and in one lock order.
 */
const pendingRollups = new WeakMap<Transaction<CenterDatabase>, RollupSums>();

/**
 * Applies one event to a trip's fact, and notes the difference it makes to the KPI sums. Whichever event of a trip
 * comes first creates the fact (a partial one until TripRequested completes it), so an event that overtook the
 * request is kept, never refused or dropped.
 */
async function changeTripFact(trx: Transaction<CenterDatabase>, tripId: string, change: (fact: TripFactRow) => TripFactUpdate) {
  let pending = pendingRollups.get(trx);
  if (!pending) pendingRollups.set(trx, (pending = new Map()));
  const fact = await lockOrCreateTripFact(trx, tripId);
  const changes = change(fact);
  if (Object.keys(changes).length === 0) return;
  const changed = await updateTripFact(trx, tripId, changes);
  const timeZone = analyticsTimeZone();
  for (const row of contributionsOf(fact, timeZone)) addToSums(pending, row, -1);
  for (const row of contributionsOf(changed, timeZone)) addToSums(pending, row);
}

/** Writes the KPI sums the transaction's events changed, once per key, in key order. */
export async function writeRollupChanges(trx: Transaction<CenterDatabase>): Promise<void> {
  const pending = pendingRollups.get(trx);
  if (!pending) return;
  pendingRollups.delete(trx);
  await addToRollups(trx, changedRows(pending));
}

/** The handler of one type of event: its change to the trip's fact. */
const factHandler = <T extends FactEventType>(type: T) => (trx: Transaction<CenterDatabase>, event: TypedEvent<T>) =>
  changeTripFact(trx, event.payload.tripId, (fact) => factChangeOf(fact, type, event.payload));

/** The facts the center learns from the hospital silo: the trip, its plan and its status. */
export const tripFactsFromHospital: EventHandlers<CenterDatabase> = {
  TripRequested: factHandler('TripRequested'),
  TripPlanChanged: factHandler('TripPlanChanged'),
  TripStatusChanged: factHandler('TripStatusChanged'),
};

/** The facts the center learns from the ems silo: whom a trip was offered to and how they answered. */
export const tripFactsFromEms: EventHandlers<CenterDatabase> = {
  TripOffered: factHandler('TripOffered'),
  TripResponded: factHandler('TripResponded'),
};

/**
 * The center's two trip-fact consumers change the same facts and sums: they take turns, a batch at a time (see
 * `ConsumerDefinition.turn`).
 */
export const TRIP_FACTS_TURN = 'center.trip-facts';
