import type { ConsumerDefinition } from '@medport/events';
import type { EmsDatabase } from './database.js';

/** The other silos' events this silo applies: one consumer per producer, each with its own cursor. */
export const emsConsumers: ConsumerDefinition<EmsDatabase>[] = [
  { name: 'ems.from-hospital', source: 'hospital', handlers: {} },
  { name: 'ems.from-center', source: 'center', handlers: {} },
];
