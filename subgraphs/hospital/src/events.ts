import type { ConsumerDefinition } from '@medport/events';
import type { HospitalDatabase } from './database.js';
import { onServiceRegistered, onServiceStatusChanged } from './modules/agency-preferences/agency-preferences.events.js';
import { onSystemSettingChanged } from './modules/network-settings/network-settings.events.js';
import { onTripProgressReported } from './modules/transport-requests/transport-requests.events.js';

/** The other silos' events this silo applies: one consumer per producer, each with its own cursor. */
export const hospitalConsumers: ConsumerDefinition<HospitalDatabase>[] = [
  { name: 'hospital.from-ems', source: 'ems', handlers: { TripProgressReported: onTripProgressReported } },
  {
    name: 'hospital.from-center',
    source: 'center',
    handlers: { ServiceRegistered: onServiceRegistered, ServiceStatusChanged: onServiceStatusChanged, SystemSettingChanged: onSystemSettingChanged },
  },
];
