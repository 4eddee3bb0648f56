export * from './context.js';
export * from './errors.js';
export * from './http.js';
export * from './logger.js';
export * from './subgraph.js';
export * from './cli.js';
export * from './request-log.js';
export * from './authentication.js';
