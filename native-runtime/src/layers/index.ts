export * from './errors.js';
export * from './paths.js';
export { decompressed, type ByteStream } from './compression.js';
export * from './apply.js';
export * from './diff.js';
export * from './write.js';
