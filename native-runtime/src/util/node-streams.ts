// tar-stream 3 is built on streamx: its packs, entries and extractors work with Node's streams at run time
// (pipe, pipeline, for await), but their typings are streamx's, not Node's. These helpers check the methods
// Node calls and hand the object on with the Node type, so callers need no cast.
import type { Readable } from 'node:stream';

const hasMethods = (s: object, names: readonly string[]): boolean =>
  names.every((n) => typeof Reflect.get(s, n) === 'function');

function isNodeWritable(s: object): s is NodeJS.WritableStream {
  return hasMethods(s, ['write', 'end', 'on', 'once', 'emit', 'removeListener']);
}

function isNodeReadable(s: object): s is Readable {
  return hasMethods(s, ['pipe', 'read', 'resume', 'pause', 'destroy', 'on', 'once', 'removeListener']);
}

/** A streamx Writable (a tar-stream extractor or entry sink) as the destination of a Node `pipe`. */
export function asNodeWritable(s: object): NodeJS.WritableStream {
  if (!isNodeWritable(s)) throw new TypeError('not a writable stream');
  return s;
}

/** A streamx Readable (a tar-stream pack or entry) as a Node Readable. */
export function asNodeReadable(s: object): Readable {
  if (!isNodeReadable(s)) throw new TypeError('not a readable stream');
  return s;
}
