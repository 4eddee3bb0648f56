export * from './tokens.js';
export * from './viewer.js';
export { errors as joseErrors, type JWK, type JWTVerifyGetKey } from 'jose';
export * from './access.js';
export * from './request-ids.js';
