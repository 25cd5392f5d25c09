export * from './bus.js';
export * from './filters.js';
export * from './time.js';
