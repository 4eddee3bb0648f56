export { centerSubgraph, CENTER_DEFAULT_PORT } from './subgraph.js';
export type { CenterDatabase } from './database.js';
