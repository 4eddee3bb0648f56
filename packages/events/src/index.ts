export * from './tables.js';
export * from './migration.js';
export * from './envelope.js';
export * from './outbox.js';
export * from './feed.js';
export * from './consumer.js';
export * from './parked.js';
export * from './live.js';
