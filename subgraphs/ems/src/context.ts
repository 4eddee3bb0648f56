import type { SubgraphContext } from '@medport/server';
import type { EmsDatabase } from './database.js';
import type { EmsLoaders } from './loaders.js';

export type EmsContext = SubgraphContext<EmsDatabase, EmsLoaders>;
