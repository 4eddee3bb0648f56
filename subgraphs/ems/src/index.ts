export { emsSubgraph, EMS_DEFAULT_PORT } from './subgraph.js';
export type { EmsDatabase } from './database.js';
