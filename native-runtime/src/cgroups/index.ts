export * from './types.js';
export * from './limits.js';
export * from './v1.js';
export * from './v2.js';
export * from './detect.js';
export * from './stats.js';
export { parseCpuList } from './fsutil.js';
