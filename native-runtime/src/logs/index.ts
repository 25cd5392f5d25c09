export * from './record.js';
export * from './writer.js';
export * from './reader.js';
export * from './format.js';
export * from './follow.js';
export * from './buffer.js';
