export * from './atomic.js';
export * from './ids.js';
export * from "./du.js";
