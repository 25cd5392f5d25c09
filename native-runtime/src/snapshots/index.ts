export * from './types.js';
export * from './chain.js';
export * from './overlay.js';
export * from './unpack.js';
