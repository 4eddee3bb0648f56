import type { SubgraphContext } from '@medport/server';
import type { CenterDatabase } from './database.js';
import type { CenterLoaders } from './loaders.js';

export type CenterContext = SubgraphContext<CenterDatabase, CenterLoaders>;
