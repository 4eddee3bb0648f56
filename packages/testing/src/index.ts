export * from './databases.js';
export * from './graphql-client.js';
export * from './identity.js';
export * from './live-client.js';
export * from './outbound.js';
