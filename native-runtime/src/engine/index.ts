export type * from './types.js';
export type * from './engine.js';
export * from './schemas.js';
