import { auditTrailModule } from '@medport/audit';
import { eventDeliveryModule } from '@medport/events';
import {
  AuditOutcomeEnum,
  ResponseDecisionEnum,
  ResponseStatusEnum,
  OfferChangeEnum,
  OfferEndReasonEnum,
  ServiceStatusEnum,
  SpecialRequirementEnum,
  TransportLevelEnum,
  TransportPriorityEnum,
  TransportStatusEnum,
  UnitStatusEnum,
  UserRoleEnum,
} from '@medport/domain';
import { enumTypeDefs } from '@medport/graphql';
import { schemaModule, type SubgraphDefinition } from '@medport/server';
import type { EmsDatabase } from './database.js';
import { emsConsumers } from './events.js';
import { createEmsLoaders, type EmsLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { agencyResolvers } from './modules/agencies/resolvers.js';
import { routeResolvers } from './modules/routes/resolvers.js';
import { serviceAreaResolvers } from './modules/service-areas/resolvers.js';
import { tripResolvers } from './modules/trips/resolvers.js';
import { offerExpiryJob } from './modules/trips/trips.jobs.js';
import { unitResolvers } from './modules/units/resolvers.js';
import { seedEmsDemoData } from './seed.js';

const moduleFile = (path: string) => new URL(`./modules/${path}`, import.meta.url);

/**
 * The ems silo: agencies, their units, availability, service areas and routes, the trips offered to them and their
 * responses, and the agencies' side of each trip (acceptance, unit assignment, crew progress, expiry of offers).
 */
export const emsSubgraph: SubgraphDefinition<EmsDatabase, EmsLoaders> = {
  silo: 'ems',
  sharedTypeDefs: enumTypeDefs(
    TransportStatusEnum,
    TransportLevelEnum,
    TransportPriorityEnum,
    SpecialRequirementEnum,
    UnitStatusEnum,
    ResponseStatusEnum,
    OfferChangeEnum,
    OfferEndReasonEnum,
    ResponseDecisionEnum,
    ServiceStatusEnum,
    UserRoleEnum,
    AuditOutcomeEnum,
  ),
  modules: [
    auditTrailModule('emsAuditTrail', 'ems'),
    eventDeliveryModule('ems', emsConsumers),
    schemaModule(moduleFile('agencies/schema.graphql'), agencyResolvers),
    schemaModule(moduleFile('units/schema.graphql'), unitResolvers),
    schemaModule(moduleFile('service-areas/schema.graphql'), serviceAreaResolvers),
    schemaModule(moduleFile('routes/schema.graphql'), routeResolvers),
    schemaModule(moduleFile('trips/schema.graphql'), tripResolvers),
  ],
  migrations,
  // Trip changes a client may send again after a lost answer take an Idempotency-Key.
  idempotentMutations: true,
  consumers: emsConsumers,
  jobs: [offerExpiryJob],
  seedDemoData: seedEmsDemoData,
  createLoaders: createEmsLoaders,
};

export const EMS_DEFAULT_PORT = 4002;
