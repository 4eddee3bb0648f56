import type { SubgraphContext } from '@medport/server';
import type { HospitalDatabase } from './database.js';
import type { HospitalLoaders } from './loaders.js';

export type HospitalContext = SubgraphContext<HospitalDatabase, HospitalLoaders>;
