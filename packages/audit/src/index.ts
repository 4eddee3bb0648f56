export * from './migration.js';
export * from './table.js';
export * from './writer.js';
export * from './change.js';
export * from './trail.js';
export * from './refusals.js';
