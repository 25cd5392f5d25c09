// @berth/runtime's builder: Dockerfile parser, instructions, build context, cache keys and the
// executor. docs/builder.md describes what is supported.
export * from './parser/index.js';
export * from './instructions/index.js';
export * from './context/index.js';
export * from './dockerignore.js';
export * from './cache-key.js';
export * from './created-by.js';
export * from './executor/index.js';
