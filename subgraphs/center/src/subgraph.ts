import { ServiceStatusEnum, TransportStatusEnum, UserRoleEnum } from '@medport/domain';
import { enumTypeDefs } from '@medport/graphql';
import { schemaModule, type SubgraphDefinition } from '@medport/server';
import type { CenterDatabase } from './database.js';
import { createCenterLoaders, type CenterLoaders } from './loaders.js';
import { migrations } from './migrations/index.js';
import { analyticsResolvers } from './modules/analytics/resolvers.js';
import { hospitalResolvers } from './modules/hospitals/resolvers.js';
import { serviceRegistryResolvers } from './modules/service-registry/resolvers.js';
import { systemResolvers } from './modules/system/resolvers.js';
import { userResolvers } from './modules/users/resolvers.js';
import { seedCenterDemoData } from './seed.js';

const moduleFile = (path: string) => new URL(`./modules/${path}`, import.meta.url);

/** The center silo: the hospital registry, every account, agency registrations, configuration, audit and analytics. */
export const centerSubgraph: SubgraphDefinition<CenterDatabase, CenterLoaders> = {
  silo: 'center',
  sharedTypeDefs: enumTypeDefs(ServiceStatusEnum, UserRoleEnum, TransportStatusEnum),
  modules: [
    schemaModule(moduleFile('hospitals/schema.graphql'), hospitalResolvers),
    schemaModule(moduleFile('users/schema.graphql'), userResolvers),
    schemaModule(moduleFile('service-registry/schema.graphql'), serviceRegistryResolvers),
    schemaModule(moduleFile('system/schema.graphql'), systemResolvers),
    schemaModule(moduleFile('analytics/schema.graphql'), analyticsResolvers),
  ],
  migrations,
  seedDemoData: seedCenterDemoData,
  createLoaders: createCenterLoaders,
};

export const CENTER_DEFAULT_PORT = 4003;
