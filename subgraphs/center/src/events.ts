import type { ConsumerDefinition } from '@medport/events';
import type { CenterDatabase } from './database.js';
import { TRIP_FACTS_TURN, tripFactsFromEms, tripFactsFromHospital, writeRollupChanges } from './modules/analytics/analytics.events.js';

/** The other silos' events this silo applies: one consumer per producer, each with its own cursor. */
export const centerConsumers: ConsumerDefinition<CenterDatabase>[] = [
  { name: 'center.from-hospital', source: 'hospital', handlers: { ...tripFactsFromHospital }, afterBatch: writeRollupChanges, turn: TRIP_FACTS_TURN },
  { name: 'center.from-ems', source: 'ems', handlers: { ...tripFactsFromEms }, afterBatch: writeRollupChanges, turn: TRIP_FACTS_TURN },
];
