import type { ConsumerDefinition } from '@medport/events';
import type { HospitalDatabase } from './database.js';

/** The other silos' events this silo applies: one consumer per producer, each with its own cursor. */
export const hospitalConsumers: ConsumerDefinition<HospitalDatabase>[] = [
  { name: 'hospital.from-ems', source: 'ems', handlers: {} },
];
