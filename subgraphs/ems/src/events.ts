import type { ConsumerDefinition } from '@medport/events';
import type { EmsDatabase } from './database.js';
import { onServiceRegistered, onServiceStatusChanged } from './modules/agencies/agencies.events.js';
import { onFeatureToggleChanged } from './modules/feature-toggles/feature-toggles.events.js';
import { onTripPlanChanged, onTripRequested, onTripsRequested, onTripStatusChanged } from './modules/trips/trips.events.js';

/** The other silos' events this silo applies: one consumer per producer, each with its own cursor. */
export const emsConsumers: ConsumerDefinition<EmsDatabase>[] = [
  {
    name: 'ems.from-hospital',
    source: 'hospital',
    handlers: { TripRequested: onTripRequested, TripPlanChanged: onTripPlanChanged, TripStatusChanged: onTripStatusChanged },
    // New trips arrive in bulk after an outage: they are copied and offered a batch at a time.
    batchHandlers: { TripRequested: onTripsRequested },
  },
  {
    name: 'ems.from-center',
    source: 'center',
    handlers: { ServiceRegistered: onServiceRegistered, ServiceStatusChanged: onServiceStatusChanged, FeatureToggleChanged: onFeatureToggleChanged },
  },
];
