export * from './decompress.js';
export * from './extract.js';
export * from './sources.js';
