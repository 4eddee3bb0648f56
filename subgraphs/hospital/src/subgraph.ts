import { auditTrailModule } from '@medport/audit';
import { eventDeliveryModule } from '@medport/events';
import {
  AuditOutcomeEnum,
  CancellationPartyEnum,
  CancellationReasonEnum,
  FacilityTypeEnum,
  SpecialRequirementEnum,
  TransportLevelEnum,
  TransportPriorityEnum,
  TransportStatusEnum,
  UserRoleEnum,
} from '@medport/domain';
import { enumTypeDefs } from '@medport/graphql';
import { schemaModule, type SubgraphDefinition } from '@medport/server';
import type { HospitalDatabase } from './database.js';
import { hospitalConsumers } from './events.js';
import { createHospitalLoaders, type HospitalLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { agencyPreferenceResolvers } from './modules/agency-preferences/resolvers.js';
import { facilityResolvers } from './modules/facilities/resolvers.js';
import { hospitalResolvers } from './modules/hospitals/resolvers.js';
import { transportRequestResolvers } from './modules/transport-requests/resolvers.js';
import { seedHospitalDemoData } from './seed.js';

const moduleFile = (path: string) => new URL(`./modules/${path}`, import.meta.url);

/** The hospital silo: facilities, transport requests and their history, agency preferences. */
export const hospitalSubgraph: SubgraphDefinition<HospitalDatabase, HospitalLoaders> = {
  silo: 'hospital',
  sharedTypeDefs: enumTypeDefs(
    TransportStatusEnum,
    TransportLevelEnum,
    TransportPriorityEnum,
    SpecialRequirementEnum,
    CancellationReasonEnum,
    CancellationPartyEnum,
    FacilityTypeEnum, UserRoleEnum, AuditOutcomeEnum),
  modules: [
    auditTrailModule('hospitalAuditTrail', 'hospital'),
    eventDeliveryModule('hospital', hospitalConsumers),
    schemaModule(moduleFile('facilities/schema.graphql'), facilityResolvers),
    schemaModule(moduleFile('transport-requests/schema.graphql'), transportRequestResolvers),
    schemaModule(moduleFile('agency-preferences/schema.graphql'), agencyPreferenceResolvers),
    schemaModule(moduleFile('hospitals/schema.graphql'), hospitalResolvers),
  ],
  migrations,
  // Trip changes a client may send again after a lost answer take an Idempotency-Key.
  idempotentMutations: true,
  consumers: hospitalConsumers,
  seedDemoData: seedHospitalDemoData,
  createLoaders: createHospitalLoaders,
};

export const HOSPITAL_DEFAULT_PORT = 4001;
