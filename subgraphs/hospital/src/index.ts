export { hospitalSubgraph, HOSPITAL_DEFAULT_PORT } from './subgraph.js';
export type { HospitalDatabase } from './database.js';
