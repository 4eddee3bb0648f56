import type { ConsumerDefinition } from '@medport/events';
import type { EmsDatabase } from './database.js';
import { onServiceRegistered, onServiceStatusChanged } from './modules/agencies/agencies.events.js';
import { onTripPlanChanged, onTripRequested, onTripStatusChanged } from './modules/trips/trips.events.js';

/** The other silos' events this silo applies: one consumer per producer, each with its own cursor. */
export const emsConsumers: ConsumerDefinition<EmsDatabase>[] = [
  {
    name: 'ems.from-hospital',
    source: 'hospital',
    handlers: { TripRequested: onTripRequested, TripPlanChanged: onTripPlanChanged, TripStatusChanged: onTripStatusChanged },
  },
  { name: 'ems.from-center', source: 'center', handlers: { ServiceRegistered: onServiceRegistered, ServiceStatusChanged: onServiceStatusChanged } },
];
