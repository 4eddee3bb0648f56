export * from './connection.js';
export * from './migrations.js';
export * from './transaction.js';
export { PGlitePool } from './pglite-pool.js';
export * from './errors.js';
export * from './json.js';
export * from './embedded.js';
