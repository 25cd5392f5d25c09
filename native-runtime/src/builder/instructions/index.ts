export * from './types.js';
export * from './flags.js';
export * from './parse.js';
export * from './build-args.js';
export * from './expand.js';
export * from './stages.js';
export * from './apply.js';
