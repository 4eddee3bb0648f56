import { auditTrailModule } from '@medport/audit';
import { eventDeliveryModule } from '@medport/events';
import { PUBLIC_ROOT_FIELDS } from '@medport/auth';
import {
  AuditOutcomeEnum,
  CancellationPartyEnum,
  CancellationReasonEnum,
  ServiceStatusEnum,
  SpecialRequirementEnum,
  TransportLevelEnum,
  TransportPriorityEnum,
  TransportStatusEnum,
  UserRoleEnum,
} from '@medport/domain';
import { enumTypeDefs } from '@medport/graphql';
import { schemaModule, type SubgraphDefinition } from '@medport/server';
import type { CenterDatabase } from './database.js';
import { centerConsumers } from './events.js';
import { createCenterLoaders, type CenterLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { analyticsCsvRoute } from './modules/analytics/analytics.csv.js';
import { analyticsResolvers } from './modules/analytics/resolvers.js';
import { databaseTokenKeys, jwksRoute } from './modules/auth/keys.js';
import { authResolvers } from './modules/auth/resolvers.js';
import { hospitalResolvers } from './modules/hospitals/resolvers.js';
import { serviceRegistryResolvers } from './modules/service-registry/resolvers.js';
import { systemResolvers } from './modules/system/resolvers.js';
import { userResolvers } from './modules/users/resolvers.js';
import { seedCenterDemoData } from './seed.js';

const moduleFile = (path: string) => new URL(`./modules/${path}`, import.meta.url);

/**
 * The center silo: sign-in and the keys that sign access tokens, the hospital registry, every account, agency
 * registrations, configuration, audit and analytics.
 */
export const centerSubgraph: SubgraphDefinition<CenterDatabase, CenterLoaders> = {
  silo: 'center',
  sharedTypeDefs: enumTypeDefs(
    ServiceStatusEnum,
    UserRoleEnum,
    TransportStatusEnum,
    TransportLevelEnum,
    TransportPriorityEnum,
    SpecialRequirementEnum,
    AuditOutcomeEnum,
    CancellationReasonEnum,
    CancellationPartyEnum,
  ),
  modules: [
    auditTrailModule('centerAuditTrail', 'center'),
    eventDeliveryModule('center', centerConsumers),
    schemaModule(moduleFile('hospitals/schema.graphql'), hospitalResolvers),
    schemaModule(moduleFile('users/schema.graphql'), userResolvers),
    schemaModule(moduleFile('service-registry/schema.graphql'), serviceRegistryResolvers),
    schemaModule(moduleFile('system/schema.graphql'), systemResolvers),
    schemaModule(moduleFile('analytics/schema.graphql'), analyticsResolvers),
    schemaModule(moduleFile('auth/schema.graphql'), authResolvers),
  ],
  migrations,
  consumers: centerConsumers,
  seedDemoData: seedCenterDemoData,
  createLoaders: createCenterLoaders,
  // Signing in and out works without an access token; everything else needs one.
  publicRootFields: PUBLIC_ROOT_FIELDS,
  // The center signs the tokens, so it verifies them with the keys in its own database, not over HTTP.
  tokenKeys: databaseTokenKeys,
  httpRoutes: (db, authenticateRequest) => {
    const jwks = jwksRoute(db);
    const analyticsCsv = analyticsCsvRoute(db, authenticateRequest);
    return async (request, response) => (await jwks(request, response)) || analyticsCsv(request, response);
  },
};

export const CENTER_DEFAULT_PORT = 4003;
