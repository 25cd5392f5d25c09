export * from './errors.js';
export * from './parser.js';
export * from './shell-lex.js';
export * from './go-quote.js';
