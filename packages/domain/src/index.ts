export * from './enums.js';
export * from './trip-lifecycle.js';
export * from './ids.js';
export * as demo from './demo-data.js';
export * from './roles.js';
export * from './events.js';
export * from './text.js';
