export * from './errors.js';
export * from './pagination.js';
export * from './loaders.js';
export * from './grouped-pages.js';
export * from './scalars.js';
export * from './sdl.js';
export * from './validation.js';
export * from './address.js';
